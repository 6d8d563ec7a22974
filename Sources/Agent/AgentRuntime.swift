import Boards
import Bundles
import Hardware
import Manifests
import ModuleABI
import ModuleHost
import ModuleRuntime
import Supervision
import Synchronization
import ThreadSupport

/// The agent: services as mailboxes served one event at a time by one loop thread, under
/// OTP supervision; hot swap, restart, parameters and the control calls of the console.
///
/// Everything that touches services runs on the loop thread: events from edge watchers
/// and requests from consoles are posted to the mailbox and handled in order, so a swap
/// is naturally a pause — events that arrive meanwhile wait and go to the new version.
public final class AgentRuntime: @unchecked Sendable {
    public let config: AgentConfig
    public let backend: any HardwareBackend
    public let time: any SystemTime
    public let store: DataStore
    public let log: LogBook
    /// Keys whose signed bundles may be pushed (replaced on SIGHUP).
    public var trustedKeys: TrustStore { trusted.withLock { $0 } }
    private let trusted: Mutex<TrustStore>
    let engine: ModuleEngine
    /// The A/B firmware side, on boards with slots; set before `start`.
    public var firmware: FirmwareManager?
    /// Reboots the board (on the simulated board: the bootloader model, then a fresh
    /// agent); set before `start` by whoever owns the process.
    public var rebootAction: (@Sendable (String) -> Void)?
    /// The hardware watchdog's feeder, on boards with one; set before `start`.
    public var watchdog: Watchdog?

    // Loop-thread state.
    var services: [String: Service] = [:]
    var machine: SupervisorMachine
    /// The active module version's artifact, by module name.
    var artifacts: [String: ModuleArtifact] = [:]
    /// Where each module's built-in version came from (a firmware file), by module name.
    var builtInSources: [String: (path: String, version: SemanticVersion)] = [:]
    /// Pending restarts after backoff: service name → due time.
    var restartsDue: [String: UInt64] = [:]
    /// Instantiates warm standbys off the loop thread, so events never wait for them.
    let standbyWorker = BackgroundWorker(priority: .background)
    /// Writes module files and histories in the order the loop decided them (a swap's
    /// record, a probation rollback's revert), so the loop never waits for an fsync.
    let storeWriter = BackgroundWorker(priority: .normal)
    /// Held for the whole of a hot swap (which runs off the loop thread): one at a time.
    let swapLock = ConditionLock()
    /// Swaps made of each module, and the last probation rollback of each (with the swap it
    /// undid): what a pusher's wait for the verdict reads.
    var swapSerials: [String: Int] = [:]
    var probationRollbacks: [String: [Int: (version: String, reason: String)]] = [:]
    /// When the loop thread last came round (monotonic nanoseconds; 0 before it starts).
    let heartbeat = Atomic<UInt64>(0)
    /// What was wrong with the stored state at start (and what was done instead), for
    /// `services` and the login banner.
    public let dataProblems = Mutex<[String]>([])
    /// Bumped by every stored parameter change: values a swap read off the loop thread are
    /// used only if none came in between.
    var parameterEpoch = 0

    // The mailbox.
    enum Job {
        case edge(service: String, generation: Int, line: Int, rising: Bool, timestamp: Int64)
        case reading(service: String, input: Int, value: Double)
        case control(() -> Void)
    }

    private let mailbox = ConditionLock()
    /// Guarded by `mailbox`.
    private var jobs: [Job] = []
    private var running = true
    private var loopStarted = false
    private var loopEnded = false

    /// How long a new version is on probation after a swap: a crash within it reinstates
    /// the old instances, kept intact until then.
    public static let probationNanoseconds: UInt64 = 2_000_000_000

    /// How long the loop, and a caller waiting for it, spin before sleeping (multi-core
    /// boards only): enough for a console call or an edge to be handed over without a
    /// kernel wake-up, little enough to cost nothing idle.
    static let spinNanoseconds: UInt64 = 50_000
    /// How long a caller waiting for the loop spins: longer than the loop's own, because a
    /// request that restarts a service (a crash) keeps the loop busy for 0.1-0.2 ms and a
    /// wake-up through the kernel costs as much again; a caller waits for one request only.
    static let callerSpinNanoseconds: UInt64 = 300_000

    public init(
        config: AgentConfig, backend: any HardwareBackend, time: any SystemTime, store: DataStore, log: LogBook,
        trustedKeys: TrustStore = TrustStore(keys: []), engine: ModuleEngine = ModuleEngine()
    ) {
        trusted = Mutex(trustedKeys)
        self.config = config
        self.backend = backend
        self.time = time
        self.store = store
        self.log = log
        self.engine = engine
        machine = SupervisorMachine(root: config.supervisor)
        machine.backoffBase = UInt64(config.restartBackoffMilliseconds) * 1_000_000
        for (name, service) in config.services { services[name] = Service(config: service) }
    }

    var now: UInt64 { UInt64(max(0, time.monotonicNanoseconds)) }

    /// Trusts `keys` from now on (a SIGHUP re-read the trusted-keys folder); also for the
    /// firmware side.
    public func replaceTrustedKeys(_ keys: TrustStore) {
        trusted.withLock { $0 = keys }
        firmware?.replaceTrustedKeys(keys)
    }

    func note(_ level: String, _ message: String, service: String? = nil) {
        log.add(level, message, service: service, at: now)
    }

    // MARK: The loop

    /// Starts the loop thread and the services in supervision order.
    public func start() {
        let starting = mailbox.withLock { () -> Bool in
            guard running, !loopStarted else { return false }
            loopStarted = true
            return true
        }
        // Already stopped (a stop before the start) or started: nothing to do.
        guard starting else { return }
        spawnThread { [self] in runLoop() }
        _ = performIfRunning { runtime in
            if let problem = runtime.store.spaceProblem() {
                runtime.note("error", problem)
                runtime.dataProblems.withLock { $0.append(problem) }
            }
            for name in runtime.config.serviceOrder {
                if let problem = runtime.store.checkParameters(of: name) {
                    runtime.note("error", problem, service: name)
                    runtime.dataProblems.withLock { $0.append("\(name): \(problem)") }
                }
                runtime.startService(name)
            }
        }
    }

    /// Stops every service in reverse order, ends the loop, and returns once what the loop
    /// decided to store is on disk. A second call only waits for that.
    public func shutdown() {
        let box = ResultBox<Bool>()
        let stopping = mailbox.withLock { () -> Bool in
            guard running else { return false }
            guard loopStarted else {
                // Never started: no loop to stop, nothing it decided to store.
                running = false
                return false
            }
            jobs.append(job(into: box) { runtime in
                for name in runtime.config.serviceOrder.reversed() {
                    runtime.stopService(name, reason: "agent stopping")
                    runtime.services[name]?.standby = nil
                }
                return true
            })
            // The last job: a swap's switch posted after it is refused, so no version that
            // never ran is stored after the services stopped.
            running = false
            mailbox.broadcast()
            return true
        }
        if stopping { _ = wait(for: box) }
        mailbox.withLock {
            while loopStarted, !loopEnded { mailbox.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + 100_000_000) }
        }
        if let problem = flushStore() { note("error", "shutting down: \(problem)") }
    }

    /// Waits until the store writer has done everything queued so far; a problem if it did not.
    @discardableResult
    func flushStore() -> String? {
        let receipt = StoreReceipt()
        storeWriter.submit { receipt.finish(problem: nil) }
        return receipt.wait()
    }

    func post(_ job: Job) {
        mailbox.withLock {
            jobs.append(job)
            mailbox.broadcast()
        }
    }

    /// Runs `body` on the loop thread and waits for its result (console requests).
    public func perform<Result>(_ body: @escaping (AgentRuntime) -> Result) -> Result {
        let box = ResultBox<Result>()
        post(job(into: box, body))
        return wait(for: box)
    }

    /// `perform`, or nil without running `body` when the loop has been told to stop (a
    /// swap racing `shutdown` must not wait for a loop that will never answer).
    public func performIfRunning<Result>(_ body: @escaping (AgentRuntime) -> Result) -> Result? {
        let box = ResultBox<Result>()
        let posted = mailbox.withLock { () -> Bool in
            // Posted while running, a job is handled: the loop drains its mailbox before it ends.
            guard running else { return false }
            jobs.append(job(into: box, body))
            mailbox.broadcast()
            return true
        }
        return posted ? wait(for: box) : nil
    }

    /// A control job that runs `body` on the loop thread and hands its result to `box`.
    private func job<Result>(into box: ResultBox<Result>, _ body: @escaping (AgentRuntime) -> Result) -> Job {
        .control { [self] in
            let value = body(self)
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

    private func runLoop() {
        while true {
            let deadline = nextDeadline()
            let batch: [Job]? = mailbox.withLock {
                mailbox.spin(forNanoseconds: Self.spinNanoseconds) { !jobs.isEmpty || !running }
                while jobs.isEmpty, running, monotonicNanoseconds() < deadline {
                    mailbox.wait(untilMonotonicNanoseconds: deadline)
                }
                guard running || !jobs.isEmpty else { return nil }
                defer { jobs.removeAll() }
                return jobs
            }
            guard let batch else {
                mailbox.withLock {
                    loopEnded = true
                    mailbox.broadcast()
                }
                return
            }
            beat()
            for job in batch {
                handle(job)
                beat()
            }
            fireTimers()
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
        return last != 0 && monotonicNanoseconds() &- last < stallNanoseconds && mailbox.withLock { running }
    }

    private func nextDeadline() -> UInt64 {
        let ticks = services.values.compactMap(\.nextTick)
        let restarts = Array(restartsDue.values)
        // Wake at least every 100 ms (probation windows, watchdogs of the future).
        return (ticks + restarts + [monotonicNanoseconds() + 100_000_000]).min() ?? 0
    }

    private func handle(_ job: Job) {
        switch job {
        case .edge(let name, let generation, let line, let rising, let timestamp):
            guard let service = services[name], service.generation == generation, service.state.isRunning else { return }
            deliver(service, event: "edge") { try $0.edge(line: line, rising: rising, timestampNanoseconds: timestamp) }
            service.edgeLatency.record(timestamp: UInt64(max(0, timestamp)), handledAt: monotonicNanoseconds())
        case .reading(let name, let input, let value):
            guard let service = services[name], service.state.isRunning else { return }
            deliver(service, event: "reading") { try $0.reading(input: input, value: value) }
        case .control(let body):
            body()
        }
    }

    private func fireTimers() {
        let current = now
        // Due restarts in start order, so rest_for_one dependencies come up first.
        for name in config.serviceOrder where (restartsDue[name] ?? .max) <= current {
            restartsDue[name] = nil
            startService(name)
        }
        for name in config.serviceOrder {
            guard let service = services[name] else { continue }
            if service.previous != nil, current >= service.probationUntil {
                // Probation over: the swap is final and the old instance's store goes.
                service.previous = nil
                service.timerBeforeSwap = nil
            }
            guard service.state.isRunning, let tick = service.nextTick, tick <= current else { continue }
            // From the due time, not from now: lateness does not accumulate.
            let next = tick + service.tickPeriod
            service.nextTick = next > current ? next : current + service.tickPeriod
            deliver(service) { try $0.tick() }
        }
    }

    // MARK: Events

    /// Calls into the service's module; a crash goes to probation rollback or supervision.
    func deliver(_ service: Service, event: String = "tick", _ body: (ModuleInstance) throws -> Void) {
        guard let instance = service.instance else { return }
        let started = monotonicNanoseconds()
        do {
            try body(instance)
            updateTimer(service)
            if instance.health != service.loggedHealth, noticeHealth(service, instance, event: event) { return }
            if let share = service.loopShare.add(busy: monotonicNanoseconds() - started, at: started) {
                // Each event within its budget, but together holding the loop from the others.
                crashed(
                    service,
                    ServiceCrash(
                        module: instance.manifest.name, version: instance.manifest.version.description, event: event,
                        kind: .outOfFuel, reason: share))
            }
        } catch let crash as ServiceCrash {
            crashed(service, crash)
        } catch {
            crashed(
                service,
                ServiceCrash(
                    module: instance.manifest.name, version: instance.manifest.version.description, event: event,
                    kind: .failed, reason: "\(error)"))
        }
    }

    /// Logs a change of what the running instance reports about itself; on probation, a
    /// new version that reports failing is rolled back like one that crashed. True when it was.
    private func noticeHealth(_ service: Service, _ instance: ModuleInstance, event: String) -> Bool {
        let health = instance.health
        service.loggedHealth = health
        note(health == .healthy ? "info" : health.isFailing ? "error" : "warning", "health: \(health)", service: service.name)
        guard health.isFailing, service.previous != nil else { return false }
        crashed(
            service,
            ServiceCrash(
                module: instance.manifest.name, version: instance.manifest.version.description, event: event, kind: .unhealthy,
                reason: health.reason ?? "failing"))
        return true
    }

    func updateTimer(_ service: Service) {
        let period = UInt64(service.resources?.timerPeriodMilliseconds ?? 0) * 1_000_000
        if period != service.tickPeriod {
            service.tickPeriod = period
            service.nextTick = period == 0 ? nil : now + period
        }
    }

    func crashed(_ service: Service, _ crash: ServiceCrash) {
        if let previous = service.previous {
            // Probation: the new version failed early. Every service of the module goes back
            // to its old instance, kept intact, so the module runs one version everywhere.
            note("error", "\(crash); rolling back to \(previous.manifest.name) \(previous.manifest.version)", service: service.name)
            service.lastCrash = crash.description
            // By swap, the last few kept: a waiter asks about its own swap, whatever came after.
            var rollbacks = probationRollbacks[service.config.module] ?? [:]
            rollbacks[swapSerials[service.config.module] ?? 0] = (previous.manifest.version.description, crash.description)
            if rollbacks.count > 16, let oldest = rollbacks.keys.min() { rollbacks[oldest] = nil }
            probationRollbacks[service.config.module] = rollbacks
            // First: the standbys renewed below must be of the version running again.
            artifacts[service.config.module] = previous.artifact
            for other in services.values where other.config.module == service.config.module {
                guard let old = other.previous else { continue }
                other.previous = nil
                other.instance = old
                other.loggedHealth = old.health
                // What the rolled-back version published goes with it.
                other.readings = [:]
                if let resources = other.resources {
                    do {
                        try resources.adopt(old.manifest, parameters: parameterValues(other.name, old.manifest))
                    } catch {
                        note("error", "cannot hand the resources back to \(old.manifest.version): \(error)", service: other.name)
                    }
                    if let period = other.timerBeforeSwap { resources.restoreTimer(milliseconds: period) }
                }
                other.timerBeforeSwap = nil
                updateTimer(other)
                prepareStandbyLater(other)
            }
            let (store, module, version, name) = (self.store, previous.manifest.name, previous.manifest.version, service.name)
            let given = (SemanticVersion(crash.version), "on probation: \(crash)")
            storeWriter.submit { [weak self] in
                do {
                    try store.revert(module, to: version)
                    if let left = given.0 { try store.record(.rolledBack(left, reason: given.1), of: module) }
                    try store.record(.activated(version), of: module)
                } catch {
                    self?.note("warning", "rolled back, but could not record it: \(error)", service: name)
                }
            }
            return
        }
        service.lastCrash = crash.description
        note("error", crash.description, service: service.name)
        exitedAbnormally(service)
    }

    /// Down after a crash or a failed start: supervision decides what happens next.
    func exitedAbnormally(_ service: Service) {
        tearDown(service)
        service.state = .stopped(reason: "crashed")
        apply(machine.exited(service.name, abnormal: true, at: now), origin: service.name)
    }

    /// Carries out supervision actions for the exit of `origin`. Group restarts bring back
    /// only the origin and the services this exit took down (not temporary ones, nor ones
    /// stopped from the console or already failed), and starts go through the mailbox, so
    /// a crash during one start is handled after this exit's actions, not in the middle.
    func apply(_ actions: [SupervisionAction], origin: String) {
        var takenDown: Set<String> = [origin]
        for action in actions {
            switch action {
            case .stop(let names):
                for name in names where services[name]?.state.isRunning == true {
                    stopService(name, reason: "stopped by its supervisor")
                    if services[name]?.config.restart != .temporary { takenDown.insert(name) }
                }
            case .start(let names, let delay):
                let chosen = names.filter { takenDown.contains($0) }
                for name in chosen {
                    services[name]?.restarts += 1
                    services[name]?.state = .restarting(atNanoseconds: now + delay)
                    restartsDue[name] = now + delay
                }
            case .leaveStopped(let name):
                services[name]?.standby = nil
                services[name]?.state = .stopped(reason: "exited; \(services[name]?.config.restart.rawValue ?? "") services are not restarted")
            case .fail(let name, let reason):
                restartsDue[name] = nil
                services[name]?.standby = nil
                services[name]?.state = .failed(reason: reason)
                note("error", "service failed: \(reason); not restarting it", service: name)
            }
        }
    }

    // MARK: Start, stop, restart

    func artifact(for module: String) throws(ModuleRefusal) -> ModuleArtifact {
        if let cached = artifacts[module] { return cached }
        var skipped: [String] = []
        let (history, historyProblem) = store.readHistory(of: module)
        if let historyProblem { skipped.append(historyProblem) }
        // Newest first: the active version, the ones before it, then (when the history is
        // lost) any stored version, then the built-in ones.
        var candidates: [(version: SemanticVersion, path: String, builtIn: Bool)] = []
        for version in history.reversed() where !candidates.contains(where: { $0.version == version }) {
            if let record = store.installed(module, version: version) {
                candidates.append((version, record.path, false))
            } else if version == history.last {
                skipped.append("\(version) is the active version but its file is gone")
            }
        }
        if history.isEmpty {
            for version in store.storedVersions(of: module) {
                candidates.append((version, store.root + "/modules/\(module)/\(version).wasm", false))
            }
        }
        candidates += builtInModules(module).map { ($0.version, $0.path, true) }
        for candidate in candidates {
            do {
                let bytes: [UInt8]
                do {
                    bytes = try FileSystem.read(candidate.path, limit: engine.limits.moduleBytes + 1)
                } catch {
                    throw ModuleRefusal("\(error)")
                }
                let artifact = try ModuleArtifact(bytes: bytes, source: candidate.path, engine: engine)
                guard artifact.manifest.name == module else {
                    throw ModuleRefusal("\(candidate.path) holds module \(artifact.manifest.name), not \(module)")
                }
                if candidate.builtIn { builtInSources[module] = (candidate.path, candidate.version) }
                if !skipped.isEmpty {
                    let problem = "\(module): \(skipped.joined(separator: "; ")); running \(candidate.version) from \(candidate.path)"
                    note("error", problem)
                    dataProblems.withLock { $0.append(problem) }
                    // The history says what runs: a version given up on is dropped from it.
                    if !candidate.builtIn, history.contains(candidate.version), let given = history.last, given != candidate.version {
                        let (name, version) = (module, candidate.version)
                        storeWriter.submit { [store] in
                            try? store.revert(name, to: version)
                            try? store.record(.rolledBack(given, reason: "its stored file was unusable at start"), of: name)
                            try? store.record(.activated(version), of: name)
                        }
                    }
                }
                artifacts[module] = artifact
                return artifact
            } catch {
                skipped.append("\(candidate.version) (\(candidate.path)) is unusable: \(error)")
            }
        }
        if candidates.isEmpty {
            throw ModuleRefusal("no module \(module) installed or built in (looked in \(config.moduleFolders.joined(separator: ", ")))")
        }
        throw ModuleRefusal("no usable version of \(module): \(skipped.joined(separator: "; "))")
    }

    /// The built-in versions of a module in the config's module folders, newest first.
    private func builtInModules(_ module: String) -> [(version: SemanticVersion, path: String)] {
        var found: [(version: SemanticVersion, path: String)] = []
        for folder in config.moduleFolders {
            for file in FileSystem.list(folder) where file.hasPrefix(module + "-") && file.hasSuffix(".wasm") {
                guard let version = SemanticVersion(String(file.dropFirst(module.count + 1).dropLast(5))) else { continue }
                found.append((version, folder + "/" + file))
            }
        }
        return found.sorted { $0.version > $1.version }
    }

    /// Parameter values in the manifest's order: stored value, else config, else default.
    /// `stored`: the service's stored values when the caller read them already (off the loop thread).
    func parameterValues(_ name: String, _ manifest: ModuleManifest, stored: [String: Double]? = nil) -> [Double] {
        let stored = stored ?? store.parameters(of: name)
        let configured = services[name]?.config.parameters ?? [:]
        for key in configured.keys where manifest.parameter(named: key) == nil {
            note("warning", "config sets \(key), which \(manifest.name) \(manifest.version) does not have", service: name)
        }
        return manifest.parameters.map { parameter in
            for (origin, candidate) in [("stored", stored[parameter.name]), ("configured", configured[parameter.name])] {
                guard let candidate else { continue }
                do {
                    return try parameter.validate(candidate)
                } catch {
                    note("warning", "\(origin) value ignored: \(error); using the next one", service: name)
                }
            }
            return parameter.defaultValue
        }
    }

    /// Instantiates fresh and calls `mf_init`: a restart is a state reset.
    func startService(_ name: String) {
        guard let service = services[name] else { return }
        if service.state.isRunning { return }
        restartsDue[name] = nil
        do {
            let artifact = try artifact(for: service.config.module)
            let resources: ServiceResources
            do {
                resources = try ServiceResources(
                    serviceName: name, manifest: artifact.manifest, grants: service.config.grants,
                    parameters: parameterValues(name, artifact.manifest), backend: backend, time: time)
            } catch {
                throw ModuleRefusal(error.message)
            }
            wire(service, resources)
            let instance: ModuleInstance
            let warm = service.standby.map { Self.isInstance($0, of: artifact) } ?? false
            if warm, let standby = service.standby {
                service.standby = nil
                standby.bind(to: resources)
                instance = standby
            } else {
                do {
                    instance = try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
                } catch {
                    resources.release()
                    throw error
                }
            }
            service.generation += 1
            service.resources = resources
            service.instance = instance
            service.loggedHealth = instance.health
            service.readings = [:]
            // Latency figures describe this instance: a restart starts them again.
            service.edgeLatency = EdgeLatency()
            service.previous = nil
            service.tickPeriod = 0
            service.nextTick = nil
            service.state = .running
            startWatchers(service)
            note("info", "started \(artifact.manifest.name) \(artifact.manifest.version)\(warm ? " from its warm standby" : "")", service: name)
            deliver(service, event: "init") { try $0.start() }
            prepareStandbyLater(service)
        } catch {
            service.lastCrash = "\(error)"
            note("error", "cannot start: \(error)", service: name)
            // A start that fails (missing device, busy line, bad module) counts as a crash:
            // supervision retries with backoff and gives up at the intensity limit.
            exitedAbnormally(service)
        }
    }

    /// Has the service's standby instantiated on the standby worker, off the loop thread;
    /// it is kept only if the service still wants one of the same artifact when it is ready.
    func prepareStandbyLater(_ service: Service) {
        guard service.config.standby, service.config.restart != .temporary, !service.standbyPending,
            service.state.isRunning, let artifact = artifacts[service.config.module]
        else { return }
        if let standby = service.standby, Self.isInstance(standby, of: artifact) { return }
        service.standby = nil
        service.standbyPending = true
        let (name, engine) = (service.name, self.engine)
        standbyWorker.submit { [weak self] in
            let made = Result { () throws(ModuleRefusal) -> ModuleInstance in try ModuleInstance(standbyFor: artifact, engine: engine) }
            let handoff = Handoff(made)
            self?.post(.control { [weak self] in self?.standbyMade(handoff.value, for: name, of: artifact) })
        }
    }

    private func standbyMade(_ made: Result<ModuleInstance, ModuleRefusal>, for name: String, of artifact: ModuleArtifact) {
        guard let service = services[name] else { return }
        service.standbyPending = false
        switch made {
        case .success(let instance):
            // Made for a version that has since been swapped out, or a service since stopped: try again or drop it.
            guard service.state.isRunning || service.state.isRestarting else { return }
            guard artifacts[service.config.module]?.serial == artifact.serial else { return prepareStandbyLater(service) }
            service.standby = instance
        case .failure(let refusal):
            note("warning", "no warm standby (restarts instantiate from scratch): \(refusal)", service: name)
        }
    }

    static func isInstance(_ instance: ModuleInstance, of artifact: ModuleArtifact) -> Bool {
        instance.artifact.serial == artifact.serial && !instance.isBound
    }

    private func wire(_ service: Service, _ resources: ServiceResources) {
        let name = service.name
        resources.eventBudgetNanoseconds = service.config.eventBudgetNanoseconds
        resources.onLog = { [weak self] level, message in
            self?.note(["debug", "info", "warning", "error"][level.rawValue], message, service: name)
        }
        resources.onPublish = { [weak self] reading, value in self?.published(name, reading, value) }
    }

    /// Records a reading and forwards it to the services that take it as an input.
    func published(_ name: String, _ reading: String, _ value: Double) {
        services[name]?.readings[reading] = value
        let key = "\(name).\(reading)"
        for service in services.values {
            for (index, input) in service.config.inputs.enumerated() where input == key {
                // Through the mailbox, so one module's event never runs inside another's.
                post(.reading(service: service.name, input: index, value: value))
            }
        }
    }

    private func startWatchers(_ service: Service) {
        guard let resources = service.resources else { return }
        let generation = service.generation
        let name = service.name
        for (index, request) in resources.edgeLines {
            let watcher = EdgeWatcher()
            service.watchers.append(watcher)
            spawnThread { [weak self] in
                while !watcher.isStopped {
                    let events: [GPIOEdgeEvent]
                    do {
                        events = try request.waitForEdges(timeoutNanoseconds: 100_000_000)
                    } catch {
                        // Released (restart, stop) or the chip went away: this watcher is done.
                        return
                    }
                    guard let self, !watcher.isStopped else { return }
                    for event in events {
                        self.post(.edge(service: name, generation: generation, line: index, rising: event.edge == .rising,
                                        timestamp: Int64(event.timestampNanoseconds)))
                    }
                }
            }
        }
    }

    /// Drops the instance and gives the hardware back (lines released: no "busy" on restart).
    func tearDown(_ service: Service) {
        service.watchers.forEach { $0.stop() }
        service.watchers.removeAll()
        service.resources?.release()
        service.resources = nil
        service.instance = nil
        service.previous = nil
        service.nextTick = nil
        service.tickPeriod = 0
        service.generation += 1
    }

    func stopService(_ name: String, reason: String) {
        guard let service = services[name], service.state.isRunning || service.instance != nil else {
            restartsDue[name] = nil
            if let service = services[name], case .restarting = service.state { service.state = .stopped(reason: reason) }
            return
        }
        if let instance = service.instance {
            do {
                try instance.terminate()
            } catch {
                note("warning", "\(error) while stopping", service: name)
            }
        }
        tearDown(service)
        service.state = .stopped(reason: reason)
        note("info", reason, service: name)
    }

    /// `restart NAME`: a state reset of one service, the others untouched.
    public func restart(_ name: String) -> Bool {
        guard services[name] != nil else { return false }
        stopService(name, reason: "restarting")
        startService(name)
        return services[name]?.state.isRunning == true
    }
}

extension ModuleRefusal {
    var message: String { description }
}
