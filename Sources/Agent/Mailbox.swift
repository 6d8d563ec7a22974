import Platform
import Synchronization

/// The supervisor's mailbox: what other threads hand to the loop thread, in order. Only
/// jobs cross it, never the loop's state; a job that reads the state runs on the loop.
/// `lock` is what the loop sleeps on; the queue is in a Mutex taken only inside it.
final class Mailbox: Sendable {
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

    private struct State {
        var jobs: [Job] = []
        var phase = Phase.waitingForLoop
        var loopStarted = false
    }

    private let lock = ConditionLock()
    private let state = Mutex(State())

    /// How long the loop spins for a job before sleeping (multi-core boards only): enough
    /// for a console call or an edge to be handed over without a kernel wake-up.
    static let spinNanoseconds: UInt64 = 50_000

    /// Posts `job` unless the mailbox is closed; false when it was not taken.
    @discardableResult
    func post(_ job: Job) -> Bool {
        lock.withLock {
            let taken = state.withLock { state -> Bool in
                guard state.phase == .waitingForLoop || state.phase == .open else { return false }
                state.jobs.append(job)
                return true
            }
            if taken { lock.broadcast() }
            return taken
        }
    }

    /// True once, for the caller that is to start the loop; false if it started or closed.
    func beginLoop() -> Bool {
        state.withLock { state in
            guard state.phase == .waitingForLoop, !state.loopStarted else { return false }
            state.loopStarted = true
            state.phase = .open
            return true
        }
    }

    /// Posts `last` as the final job and closes; false (nothing posted) if already closed,
    /// or if no loop ever started (then it is closed with nothing to drain).
    func close(after last: Job) -> Bool {
        lock.withLock {
            let closed = state.withLock { state -> Bool in
                switch state.phase {
                case .waitingForLoop:
                    state.phase = .ended
                    return false
                case .open:
                    state.jobs.append(last)
                    state.phase = .closed
                    return true
                case .closed, .ended:
                    return false
                }
            }
            if closed { lock.broadcast() }
            return closed
        }
    }

    var isOpen: Bool { state.withLock { $0.phase == .open || $0.phase == .waitingForLoop } }

    /// The loop's wait: every job posted so far, once there is one or `deadline`
    /// (monotonic) passes; nil when the mailbox is closed and drained (the loop ends).
    func take(until deadline: UInt64) -> [Job]? {
        lock.withLock {
            let waiting = { self.state.withLock { $0.jobs.isEmpty && $0.phase == .open } }
            lock.spin(forNanoseconds: Self.spinNanoseconds) { !waiting() }
            while waiting(), monotonicNanoseconds() < deadline {
                lock.wait(untilMonotonicNanoseconds: deadline)
            }
            let batch = state.withLock { state -> [Job]? in
                guard state.phase == .open || !state.jobs.isEmpty else {
                    state.phase = .ended
                    return nil
                }
                defer { state.jobs.removeAll() }
                return state.jobs
            }
            if batch == nil { lock.broadcast() }
            return batch
        }
    }

    /// Waits until the loop has ended (returns at once if it never started).
    func waitForLoopEnd() {
        lock.withLock {
            while state.withLock({ $0.loopStarted && $0.phase != .ended }) {
                lock.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + 100_000_000)
            }
        }
    }
}
