import Platform

/// The supervisor's mailbox: what other threads hand to the loop thread, in order. Only
/// jobs cross it, never the loop's state; a job that reads the state runs on the loop.
///
/// `@unchecked Sendable` as a lock is: every field is read and written with `lock` held.
final class Mailbox: @unchecked Sendable {
    /// One thing for the loop thread to do.
    enum Job: Sendable {
        case edge(service: String, generation: Int, line: Int, rising: Bool, timestamp: Int64)
        case reading(service: String, input: Int, value: Double)
        case control(@Sendable (Supervisor) -> Void)
    }

    /// Where the mailbox is in its life: open before the loop starts (jobs wait), open
    /// with the loop running, closed (the last job posted, the loop draining), ended.
    enum Phase: Equatable {
        case waitingForLoop
        case open
        case closed
        case ended
    }

    private let lock = ConditionLock()
    private var jobs: [Job] = []
    private var phase = Phase.waitingForLoop
    private var loopStarted = false

    /// How long the loop spins for a job before sleeping (multi-core boards only): enough
    /// for a console call or an edge to be handed over without a kernel wake-up.
    static let spinNanoseconds: UInt64 = 50_000

    /// Posts `job` unless the mailbox is closed; false when it was not taken.
    @discardableResult
    func post(_ job: Job) -> Bool {
        lock.withLock {
            guard phase == .waitingForLoop || phase == .open else { return false }
            jobs.append(job)
            lock.broadcast()
            return true
        }
    }

    /// True once, for the caller that is to start the loop; false if it started or closed.
    func beginLoop() -> Bool {
        lock.withLock {
            guard phase == .waitingForLoop, !loopStarted else { return false }
            loopStarted = true
            phase = .open
            return true
        }
    }

    /// Posts `last` as the final job and closes; false (nothing posted) if already closed,
    /// or if no loop ever started (then it is closed with nothing to drain).
    func close(after last: Job) -> Bool {
        lock.withLock {
            switch phase {
            case .waitingForLoop:
                phase = .ended
                return false
            case .open:
                jobs.append(last)
                phase = .closed
                lock.broadcast()
                return true
            case .closed, .ended:
                return false
            }
        }
    }

    var isOpen: Bool { lock.withLock { phase == .open || phase == .waitingForLoop } }

    /// The loop's wait: every job posted so far, once there is one or `deadline`
    /// (monotonic) passes; nil when the mailbox is closed and drained (the loop ends).
    func take(until deadline: UInt64) -> [Job]? {
        lock.withLock {
            lock.spin(forNanoseconds: Self.spinNanoseconds) { !jobs.isEmpty || phase != .open }
            while jobs.isEmpty, phase == .open, monotonicNanoseconds() < deadline {
                lock.wait(untilMonotonicNanoseconds: deadline)
            }
            guard phase == .open || !jobs.isEmpty else {
                phase = .ended
                lock.broadcast()
                return nil
            }
            defer { jobs.removeAll() }
            return jobs
        }
    }

    /// Waits until the loop has ended (returns at once if it never started).
    func waitForLoopEnd() {
        lock.withLock {
            while loopStarted, phase != .ended { lock.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + 100_000_000) }
        }
    }
}
