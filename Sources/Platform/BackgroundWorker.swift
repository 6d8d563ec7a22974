#if canImport(Glibc)
import Glibc
#endif

/// One thread that runs submitted work in order, off the thread that submitted it (the
/// agent's loop hands it instantiations so events never wait for them). The thread starts
/// with the first job and ends after a second with nothing to do. At background priority
/// (nice 10) it yields most of a busy core to the loop and its callers, and is still never
/// starved. If no thread can be started, the submitter runs the queue itself.
public final class BackgroundWorker: @unchecked Sendable {
    public enum Priority: Sendable {
        case normal
        /// Nice 10: about a tenth of a core that threads at normal priority also want.
        case background
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
        // No thread: run the queue here rather than leave it waiting for a later submit.
        while let next = lock.withLock({ () -> (@Sendable () -> Void)? in
            guard !queue.isEmpty else {
                threadRunning = false
                return nil
            }
            return queue.removeFirst()
        }) {
            next()
        }
    }

    private func run() {
        #if os(Linux)
            if priority == .background {
                // On Linux nice is per thread, and who 0 is the calling thread; a failure leaves normal priority.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            }
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
