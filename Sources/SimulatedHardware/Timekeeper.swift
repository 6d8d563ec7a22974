/// The counting part of an RTC: chip time as a function of the simulation clock, with
/// a rate error in ppm and a run/stop state. Pure value; the device models own one each.
public struct Timekeeper: Hashable, Sendable {
    /// Chip time in nanoseconds since 2000-01-01 at `anchorClock`.
    private var anchorChip: Int64
    private var anchorClock: UInt64
    public private(set) var isRunning: Bool
    /// Positive runs fast. 1 ppm is about 2.6 s a month.
    public private(set) var ratePPM: Double

    public init(chipNanoseconds: Int64, at clock: UInt64, running: Bool = true, ratePPM: Double = 0) {
        anchorChip = chipNanoseconds
        anchorClock = clock
        isRunning = running
        self.ratePPM = ratePPM
    }

    public func chipNanoseconds(at clock: UInt64) -> Int64 {
        guard isRunning, clock > anchorClock else { return anchorChip }
        let elapsed = Int64(clock - anchorClock)
        // The drift term separately, so long spans keep nanosecond precision in the base.
        return anchorChip + elapsed + Int64((Double(elapsed) * ratePPM / 1e6).rounded())
    }

    public func chipSeconds(at clock: UInt64) -> Int64 {
        let nanos = chipNanoseconds(at: clock)
        return nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
    }

    /// Sets the time. Writing the seconds register resets the divider chain, so the
    /// next second starts a full second later.
    public mutating func set(chipNanoseconds: Int64, at clock: UInt64) {
        anchorChip = chipNanoseconds
        anchorClock = clock
    }

    public mutating func setRunning(_ running: Bool, at clock: UInt64) {
        guard running != isRunning else { return }
        reanchor(at: clock)
        isRunning = running
    }

    public mutating func setRate(ppm: Double, at clock: UInt64) {
        reanchor(at: clock)
        ratePPM = ppm
    }

    /// Loses `nanoseconds` of counting, as an oscillator that stopped for that long.
    public mutating func skip(nanoseconds: UInt64, at clock: UInt64) {
        reanchor(at: clock)
        anchorChip -= Int64(nanoseconds)
    }

    private mutating func reanchor(at clock: UInt64) {
        anchorChip = chipNanoseconds(at: clock)
        anchorClock = max(anchorClock, clock)
    }
}
