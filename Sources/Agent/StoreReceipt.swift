import Platform

/// The outcome of a write the store writer does later: the swap waits for it (off the
/// loop thread) to say whether its version was stored.
final class StoreReceipt: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var outcome: String??

    func finish(problem: String?) {
        lock.withLock {
            outcome = .some(problem)
            lock.broadcast()
        }
    }

    /// Waits for the write; its problem, or nil when it was stored. A writer that never
    /// came (no thread could be started) is a problem after `timeout`, not a hang.
    func wait(timeoutNanoseconds timeout: UInt64 = 30_000_000_000) -> String? {
        let deadline = monotonicNanoseconds() + timeout
        return lock.withLock { () -> String? in
            while outcome == nil, monotonicNanoseconds() < deadline { lock.wait(untilMonotonicNanoseconds: deadline) }
            guard let outcome else { return "not confirmed within \(timeout / 1_000_000_000) s (the write may still complete)" }
            return outcome
        }
    }
}
