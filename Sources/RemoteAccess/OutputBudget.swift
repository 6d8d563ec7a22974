#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import ThreadSupport

/// The output of one session's command that SSH has not taken yet, bounded: a client that
/// stops reading (`log -f`, `watch`) holds back its command for a while, then is dropped,
/// instead of growing the agent's memory without end.
final class OutputBudget: Sendable {
    let limit: Int
    let patienceNanoseconds: UInt64
    private let queued = Atomic(0)
    private let dropped = Atomic(false)

    init(limit: Int = 256 << 10, patienceNanoseconds: UInt64 = 10_000_000_000) {
        self.limit = limit
        self.patienceNanoseconds = patienceNanoseconds
    }

    /// On the command's thread, before writing `count` bytes: waits while the queue is over
    /// the limit. False when the client is to be dropped (it read nothing for the whole
    /// patience, or the command was stopped meanwhile).
    func reserve(_ count: Int, stop: StopFlag) -> Bool {
        let deadline = monotonicNanoseconds() + patienceNanoseconds
        while queued.load(ordering: .acquiring) > 0, queued.load(ordering: .acquiring) + count > limit {
            if dropped.load(ordering: .acquiring) || stop.isSet || monotonicNanoseconds() > deadline { return false }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        queued.add(count, ordering: .acquiringAndReleasing)
        return true
    }

    /// SSH took (or gave up on) `count` reserved bytes.
    func written(_ count: Int) {
        queued.subtract(count, ordering: .acquiringAndReleasing)
    }

    /// Bytes reserved and not yet taken.
    var pending: Int { queued.load(ordering: .acquiring) }

    /// Marks the client dropped: true for the first caller only.
    func drop() -> Bool {
        !dropped.exchange(true, ordering: .acquiringAndReleasing)
    }
}
