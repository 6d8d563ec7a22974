/// One thread that runs submitted work in order, off the thread that submitted it (the
/// agent's loop hands it instantiations so events never wait for them). The thread starts
/// with the first job and ends after a second with nothing to do.
public final class BackgroundWorker: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var queue: [@Sendable () -> Void] = []
    private var threadRunning = false

    public init() {}

    /// Queues `job` behind the ones already submitted.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        let startThread = lock.withLock { () -> Bool in
            queue.append(job)
            lock.broadcast()
            guard !threadRunning else { return false }
            threadRunning = true
            return true
        }
        if startThread { spawnThread { [self] in run() } }
    }

    private func run() {
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
