#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Ctrl-C of a console session, set by the thread that reads the client and read by the command's thread.
public final class StopFlag: Sendable {
    public init() {}

    private let flag = Atomic(false)

    public func set() { flag.store(true, ordering: .releasing) }
    public func reset() { flag.store(false, ordering: .releasing) }
    public var isSet: Bool { flag.load(ordering: .acquiring) }
}

extension StopFlag {
    /// Sleeps `nanoseconds` in steps of 50 ms, returning early once the flag is set or
    /// `alsoStopWhen` says so (for sessions, whose Ctrl-C is a flag, not a signal).
    public func sleep(_ nanoseconds: UInt64, alsoStopWhen: () -> Bool = { false }) {
        var slept: UInt64 = 0
        while slept < nanoseconds, !isSet, !alsoStopWhen() {
            let step = min(nanoseconds - slept, 50_000_000)
            var spec = timespec(tv_sec: 0, tv_nsec: Int(step))
            nanosleep(&spec, nil)
            slept += step
        }
    }
}
