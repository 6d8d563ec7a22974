/// The board's clocks as services see them: monotonic time, wall time, whether the wall
/// clock is synchronized, and setting it (the RTC service does, at boot).
public protocol SystemTime: AnyObject, Sendable {
    var monotonicNanoseconds: Int64 { get }
    var wallNanoseconds: Int64 { get }
    /// True when NTP (or another trusted source) disciplines the wall clock.
    var isSynchronized: Bool { get }
    /// Steps the wall clock; fails with `.permission` when the process may not.
    func setWall(nanoseconds: Int64) throws(HardwareError)
}
