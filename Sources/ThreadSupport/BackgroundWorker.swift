#if canImport(Glibc)
import Glibc
#endif

/// One thread that runs submitted work in order, off the thread that submitted it (the
/// agent's loop hands it instantiations so events never wait for them). The thread starts
/// with the first job and ends after a second with nothing to do. At idle priority it
/// runs only on a core nothing else wants, so it never delays the loop or a caller (on a
/// board busy all the time its work waits).
public final class BackgroundWorker: @unchecked Sendable {
    public enum Priority: Sendable {
        case normal
        /// SCHED_IDLE: runs only on a core nothing else wants.
        case idle
    }

    private let priority: Priority
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var queue: [@Sendable () -> Void] = []
    private var threadRunning = false

    public init(priority: Priority) {
        self.priority = priority
    }

    /// Queues `job` behind the ones already submitted.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        let startThread = lock.withLock { () -> Bool in
            queue.append(job)
            lock.broadcast()
            guard !threadRunning else { return false }
            threadRunning = true
            return true
        }
        guard startThread, !spawnThread({ [self] in run() }) else { return }
        // No thread now: the next submit tries again.
        lock.withLock { threadRunning = false }
    }

    private func run() {
        #if os(Linux)
            guard priority == .idle else { return drain() }
            var parameters = sched_param()
            // SCHED_IDLE (5 in <sched.h>, behind _GNU_SOURCE); a failure leaves normal priority.
            _ = pthread_setschedparam(pthread_self(), 5, &parameters)
        #endif
        drain()
    }

    private func drain() {
        while let job = next() { job() }
    }

    private func next() -> (@Sendable () -> Void)? {
        lock.withLock {
            let idleUntil = monotonicNanoseconds() + 1_000_000_000
            while queue.isEmpty, monotonicNanoseconds() < idleUntil { lock.wait(untilMonotonicNanoseconds: idleUntil) }
            guard !queue.isEmpty else {
                threadRunning = false
                return nil
            }
            return queue.removeFirst()
        }
    }
}
