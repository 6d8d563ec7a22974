import Hardware
import ModuleRuntime
import Synchronization
import Platform

/// The way into the agent from any thread: consoles, SSH sessions, the firmware's health
/// gate, edge watchers. It holds what every thread may read (the config, the store, the
/// log, the trusted keys) and the mailbox; the services themselves belong to the
/// `Supervisor`, which the loop thread makes and keeps, and which a caller reaches only
/// inside `perform`, on that thread.
public final class AgentHandle: Sendable {
    public let config: AgentConfig
    public let backend: any HardwareBackend
    public let time: any SystemTime
    public let store: DataStore
    public let log: LogBook
    let engine: ModuleEngine
    /// What was wrong with the stored state at start (and what was done instead), for
    /// `services` and the login banner.
    public let dataProblems = Mutex<[String]>([])
    let mailbox = Mailbox()
    /// Instantiates warm standbys off the loop thread, so events never wait for them.
    let standbyWorker = BackgroundWorker(priority: .background)
    /// Writes module files and histories in the order the loop decided them (a swap's
    /// record, a probation rollback's revert), so the loop never waits for an fsync.
    let storeWriter = BackgroundWorker(priority: .normal)
    /// Held for the whole of a hot swap (which runs off the loop thread): one at a time.
    let swapLock = ConditionLock()
    /// When the loop thread last came round (monotonic nanoseconds; 0 before it starts).
    let heartbeat = Atomic<UInt64>(0)

    /// How long a new version is on probation after a swap: a crash (or a `failing`
    /// report) within it reinstates the old instances, kept intact until then.
    public static let probationNanoseconds: UInt64 = 2_000_000_000

    /// How long a caller waiting for the loop spins: longer than the loop's own, because a
    /// request that restarts a service (a crash) keeps the loop busy for 0.1-0.2 ms and a
    /// wake-up through the kernel costs as much again; a caller waits for one request only.
    static let callerSpinNanoseconds: UInt64 = 300_000

    public init(
        config: AgentConfig, backend: any HardwareBackend, time: any SystemTime, store: DataStore, log: LogBook,
        engine: ModuleEngine = ModuleEngine()
    ) {
        self.config = config
        self.backend = backend
        self.time = time
        self.store = store
        self.log = log
        self.engine = engine
    }

    var now: UInt64 { UInt64(max(0, time.monotonicNanoseconds)) }

    /// Adds a line to the log, stamped with the agent's clock.
    public func note(_ level: LogLevel, _ message: String, service: String? = nil) {
        log.add(level, message, service: service, at: now)
    }

    // MARK: Life

    /// Starts the loop thread (which makes the supervisor) and the services in supervision order.
    public func start() {
        // Already stopped (a stop before the start) or started: nothing to do.
        guard mailbox.beginLoop() else { return }
        spawnThread { [self] in
            let supervisor = Supervisor(handle: self)
            runLoop(supervisor)
        }
        _ = performIfRunning { $0.startAll() }
    }

    /// Stops every service in reverse order, ends the loop, and returns once what the loop
    /// decided to store is on disk. A second call only waits for that.
    public func shutdown() {
        let box = ResultBox<Bool>()
        // The last job: a swap's switch posted after it is refused, so no version that
        // never ran is stored after the services stopped.
        if mailbox.close(after: job(into: box) { $0.stopAll(); return true }) { _ = wait(for: box) }
        mailbox.waitForLoopEnd()
        if let problem = flushStore() { note(.error, "shutting down: \(problem)") }
    }

    /// Waits until the store writer has done everything queued so far; a problem if it did not.
    @discardableResult
    func flushStore() -> String? {
        let receipt = StoreReceipt()
        storeWriter.submit { receipt.finish(problem: nil) }
        return receipt.wait()
    }

    // MARK: Requests

    func post(_ job: Mailbox.Job) {
        mailbox.post(job)
    }

    /// Runs `body` on the loop thread, with the supervisor, and waits for its result. Only
    /// while the agent runs (a stopped loop would never answer: that is a programming error).
    public func perform<Result: Sendable>(_ body: @escaping @Sendable (Supervisor) -> Result) -> Result {
        guard let result = performIfRunning(body) else { preconditionFailure("perform after the agent stopped") }
        return result
    }

    /// `perform`, or nil without running `body` when the loop has been told to stop (a
    /// swap racing `shutdown` must not wait for a loop that will never answer).
    public func performIfRunning<Result: Sendable>(_ body: @escaping @Sendable (Supervisor) -> Result) -> Result? {
        let box = ResultBox<Result>()
        // Posted while open, a job is handled: the loop drains its mailbox before it ends.
        return mailbox.post(job(into: box, body)) ? wait(for: box) : nil
    }

    private func job<Result: Sendable>(into box: ResultBox<Result>, _ body: @escaping @Sendable (Supervisor) -> Result) -> Mailbox.Job {
        .control { supervisor in
            let value = body(supervisor)
            box.done.withLock {
                box.result = value
                box.done.broadcast()
            }
        }
    }

    private func wait<Result>(for box: ResultBox<Result>) -> Result {
        box.done.withLock { () -> Result in
            box.done.spin(forNanoseconds: Self.callerSpinNanoseconds) { box.result != nil }
            while box.result == nil { box.done.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + 100_000_000) }
            return box.result!
        }
    }

    // MARK: The loop

    private func runLoop(_ supervisor: Supervisor) {
        while let batch = mailbox.take(until: supervisor.nextDeadline()) {
            beat()
            for job in batch {
                supervisor.handle(job)
                beat()
            }
            supervisor.fireTimers()
            beat()
        }
    }

    /// The loop thread was here now: what the watchdog's feeder checks (`isLive`).
    private func beat() {
        heartbeat.store(monotonicNanoseconds(), ordering: .releasing)
    }

    /// Whether the loop has come round within `stallNanoseconds`: it wakes at least every
    /// 100 ms, and no event may hold it past its service's budget, so a loop that has not
    /// beaten for seconds is stuck. Never blocks (the watchdog's feeder asks it).
    public func isLive(stallNanoseconds: UInt64 = 2_000_000_000) -> Bool {
        let last = heartbeat.load(ordering: .acquiring)
        return last != 0 && monotonicNanoseconds() &- last < stallNanoseconds && mailbox.isOpen
    }
}
