/// How much of the agent loop one service takes. Each event is bounded by the service's
/// budget, but a service whose events come back to back (a 1 ms tick that burns just under
/// its budget) would still hold the loop from every other service; past half of a second,
/// in any second, it is crashed and its supervisor decides (restart intensity fails it).
struct LoopShare {
    static let windowNanoseconds: UInt64 = 1_000_000_000
    static let limitNanoseconds: UInt64 = 500_000_000

    private var windowStart: UInt64 = 0
    private var busy: UInt64 = 0

    /// Adds an event that held the loop `elapsed` from `time`; says why when over the limit
    /// (and starts counting again).
    mutating func add(busy elapsed: UInt64, at time: UInt64) -> String? {
        if time &- windowStart >= Self.windowNanoseconds {
            windowStart = time
            busy = 0
        }
        busy += elapsed
        guard busy > Self.limitNanoseconds else { return nil }
        let held = busy
        busy = 0
        windowStart = time
        return "held the agent loop \(held / 1_000_000) ms of \(Self.windowNanoseconds / 1_000_000) ms (at most \(Self.limitNanoseconds / 1_000_000))"
    }
}
