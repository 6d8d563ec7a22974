#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Platform

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

    /// What `reserve` decided.
    enum Reservation: Equatable {
        /// Write it.
        case granted
        /// The command was stopped (Ctrl-C) while it waited: drop the output, keep the client.
        case stopped
        /// The client read nothing for the whole patience (or was dropped already): drop it.
        case unread
    }

    /// On the command's thread, before writing `count` bytes: waits while the queue is over
    /// the limit.
    func reserve(_ count: Int, stop: StopFlag) -> Reservation {
        let deadline = monotonicNanoseconds() + patienceNanoseconds
        while queued.load(ordering: .acquiring) > 0, queued.load(ordering: .acquiring) + count > limit {
            if dropped.load(ordering: .acquiring) || monotonicNanoseconds() > deadline { return .unread }
            if stop.isSet { return .stopped }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        queued.add(count, ordering: .acquiringAndReleasing)
        return .granted
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
