import Boards
import Hardware
import Manifests
import ModuleABI
import ModuleHost
import ModuleRuntime
import Supervision
import Platform

/// The services, under OTP supervision, and everything that changes them: made by the
/// loop thread and used only there. Events from edge watchers and requests from consoles
/// reach it as jobs through the `AgentHandle`'s mailbox, handled one at a time, so a swap
/// is naturally a pause: events that arrive meanwhile wait and go to the new version.
///
/// Not `Sendable`: no other thread can hold it, so the compiler keeps its state on the loop.
public final class Supervisor {
    let handle: AgentHandle
    var services: [String: Service] = [:]
    var machine: SupervisorMachine
    /// The active version of each module.
    let catalog: ModuleCatalog
    /// Pending restarts after backoff: service name → due time.
    var restartsDue: [String: UInt64] = [:]
    /// Swaps made of each module and the probation rollbacks that undid some: what a
    /// pusher's wait for the verdict reads.
    var probations = ProbationLedger()
    /// Bumped by every stored parameter change: values a swap read off the loop thread are
    /// used only if none came in between.
    var parameterEpoch = 0

    init(handle: AgentHandle) {
        self.handle = handle
        catalog = ModuleCatalog(handle: handle)
        machine = SupervisorMachine(root: handle.config.supervisor)
        machine.backoffBase = UInt64(handle.config.restartBackoffMilliseconds) * 1_000_000
        for (name, service) in handle.config.services { services[name] = Service(config: service) }
    }

    public var config: AgentConfig { handle.config }
    var store: DataStore { handle.store }
    var engine: ModuleEngine { handle.engine }
    var backend: any HardwareBackend { handle.backend }
    public var time: any SystemTime { handle.time }
    var storeWriter: BackgroundWorker { handle.storeWriter }
    var standbyWorker: BackgroundWorker { handle.standbyWorker }
    var now: UInt64 { handle.now }

    /// What consoles ask of the services, on this thread.
    public var console: ConsoleRequests { ConsoleRequests(supervisor: self) }

    func note(_ level: LogLevel, _ message: String, service: String? = nil) {
        handle.note(level, message, service: service)
    }

    func post(_ job: Mailbox.Job) {
        handle.post(job)
    }

    /// Checks the stored state and starts every service in supervision order.
    func startAll() {
        if let problem = store.spaceProblem() {
            note(.error, problem)
            handle.dataProblems.withLock { $0.append(problem) }
        }
        for name in config.serviceOrder {
            if let problem = store.checkParameters(of: name) {
                note(.error, problem, service: name)
                handle.dataProblems.withLock { $0.append("\(name): \(problem)") }
            }
            startService(name)
        }
    }

    /// Stops every service in reverse order (the agent is stopping).
    func stopAll() {
        for name in config.serviceOrder.reversed() {
            stopService(name, reason: "agent stopping")
            services[name]?.standby = nil
        }
    }

    /// When the loop must wake next: a tick, a restart after backoff, or 100 ms from now.
    func nextDeadline() -> UInt64 {
        let ticks = services.values.compactMap(\.nextTick)
        let restarts = Array(restartsDue.values)
        // Wake at least every 100 ms (probation windows, watchdogs of the future).
        return (ticks + restarts + [monotonicNanoseconds() + 100_000_000]).min() ?? 0
    }

    /// One job from the mailbox.
    func handle(_ job: Mailbox.Job) {
        switch job {
        case .edge(let name, let generation, let line, let rising, let timestamp):
            guard let service = services[name], service.generation == generation, service.state.isRunning else { return }
            deliver(service, event: "edge") { try $0.edge(line: line, rising: rising, timestampNanoseconds: timestamp) }
            service.edgeLatency.record(timestamp: UInt64(max(0, timestamp)), handledAt: monotonicNanoseconds())
        case .reading(let name, let input, let value):
            guard let service = services[name], service.state.isRunning else { return }
            deliver(service, event: "reading") { try $0.reading(input: input, value: value) }
        case .control(let body):
            body(self)
        }
    }

    /// Due restarts and ticks, and probation windows that ended.
    func fireTimers() {
        let current = now
        // Due restarts in start order, so rest_for_one dependencies come up first.
        for name in config.serviceOrder where (restartsDue[name] ?? .max) <= current {
            restartsDue[name] = nil
            startService(name)
        }
        for name in config.serviceOrder {
            guard let service = services[name], let running = service.running else { continue }
            if let probation = running.probation, current >= probation.until {
                // A report not seen yet still counts for the probation it was made in.
                if running.instance.health != running.loggedHealth, noticeHealth(service, running, event: "its probation") { continue }
                // Probation over: the swap is final and the old instance's store goes.
                running.probation = nil
            }
            guard let tick = running.nextTick, tick <= current else { continue }
            // From the due time, not from now: lateness does not accumulate.
            let next = tick + running.tickPeriod
            running.nextTick = next > current ? next : current + running.tickPeriod
            deliver(service) { try $0.tick() }
        }
    }

    // MARK: Events

    /// Calls into the service's module; a crash goes to probation rollback or supervision.
    func deliver(_ service: Service, event: String = "tick", _ body: (ModuleInstance) throws -> Void) {
        guard let running = service.running else { return }
        let instance = running.instance
        let started = monotonicNanoseconds()
        do {
            try body(instance)
            updateTimer(service)
            if instance.health != running.loggedHealth, noticeHealth(service, running, event: event) { return }
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
    func noticeHealth(_ service: Service, _ running: Running, event: String) -> Bool {
        let (instance, health) = (running.instance, running.instance.health)
        running.loggedHealth = health
        note(health == .healthy ? .info : health.isFailing ? .error : .warning, "health: \(health)", service: service.name)
        guard health.isFailing, running.probation != nil else { return false }
        crashed(
            service,
            ServiceCrash(
                module: instance.manifest.name, version: instance.manifest.version.description, event: event, kind: .unhealthy,
                reason: health.reason ?? "failing"))
        return true
    }

    func updateTimer(_ service: Service) {
        guard let running = service.running else { return }
        let period = UInt64(running.resources.timerPeriodMilliseconds) * 1_000_000
        if period != running.tickPeriod {
            running.tickPeriod = period
            running.nextTick = period == 0 ? nil : now + period
        }
    }

    /// A crash of `service`: on probation, its module goes back to the version before;
    /// otherwise supervision decides.
    func crashed(_ service: Service, _ crash: ServiceCrash) {
        service.lastCrash = crash.description
        if let previous = service.previous {
            SwapSwitch(supervisor: self).rollBack(service, after: crash, to: previous)
            return
        }
        note(.error, crash.description, service: service.name)
        exitedAbnormally(service)
    }

    /// Down after a crash or a failed start: supervision decides what happens next.
    func exitedAbnormally(_ service: Service) {
        tearDown(service, reason: "crashed")
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
                note(.error, "service failed: \(reason); not restarting it", service: name)
            }
        }
    }

    // MARK: Start, stop, restart

    func artifact(for module: String) throws(ModuleRefusal) -> ModuleArtifact {
        try catalog.artifact(for: module)
    }

    /// Parameter values in the manifest's order: stored value, else config, else default.
    /// `stored`: the service's stored values when the caller read them already (off the loop thread).
    func parameterValues(_ name: String, _ manifest: ModuleManifest, stored: [String: Double]? = nil) -> [Double] {
        let stored = stored ?? store.parameters(of: name)
        let configured = services[name]?.config.parameters ?? [:]
        for key in configured.keys where manifest.parameter(named: key) == nil {
            note(.warning, "config sets \(key), which \(manifest.name) \(manifest.version) does not have", service: name)
        }
        return manifest.parameters.map { parameter in
            for (origin, candidate) in [("stored", stored[parameter.name]), ("configured", configured[parameter.name])] {
                guard let candidate else { continue }
                do {
                    return try parameter.validate(candidate)
                } catch {
                    note(.warning, "\(origin) value ignored: \(error); using the next one", service: name)
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
                throw ModuleRefusal(.resources, error.message)
            }
            wire(service, resources)
            let instance: ModuleInstance
            let standby = WarmStandby(supervisor: self).take(from: service, of: artifact)
            if let standby {
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
            service.readings = [:]
            // Latency figures describe this instance: a restart starts them again.
            service.edgeLatency = EdgeLatency()
            let running = Running(instance: instance, resources: resources)
            service.state = .running(running)
            startWatchers(service, running)
            note(.info, "started \(artifact.manifest.name) \(artifact.manifest.version)\(standby != nil ? " from its warm standby" : "")", service: name)
            deliver(service, event: "init") { try $0.start() }
            WarmStandby(supervisor: self).prepareLater(for: service)
        } catch {
            service.lastCrash = "\(error)"
            note(.error, "cannot start: \(error)", service: name)
            // A start that fails (missing device, busy line, bad module) counts as a crash:
            // supervision retries with backoff and gives up at the intensity limit.
            exitedAbnormally(service)
        }
    }

    private func wire(_ service: Service, _ resources: ServiceResources) {
        let name = service.name
        resources.eventBudgetNanoseconds = service.config.eventBudgetNanoseconds
        resources.onLog = { [weak self] level, message in
            self?.note(level, message, service: name)
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

    private func startWatchers(_ service: Service, _ running: Running) {
        let (generation, name, handle) = (service.generation, service.name, self.handle)
        running.watchers = running.resources.edgeLines.map { index, request in
            EdgeWatcher.watch(request) { event in
                handle.post(.edge(service: name, generation: generation, line: index, rising: event.edge == .rising,
                                timestamp: Int64(event.timestampNanoseconds)))
            }
        }
    }

    /// Drops the instance and gives the hardware back (lines released: no "busy" on
    /// restart); the service is then `stopped` with `reason`.
    func tearDown(_ service: Service, reason: String) {
        if let running = service.running {
            running.watchers.forEach { $0.stop() }
            running.resources.release()
        }
        service.generation += 1
        service.state = .stopped(reason: reason)
    }

    func stopService(_ name: String, reason: String) {
        guard let service = services[name], let running = service.running else {
            restartsDue[name] = nil
            if let service = services[name], case .restarting = service.state { service.state = .stopped(reason: reason) }
            return
        }
        do {
            try running.instance.terminate()
        } catch {
            note(.warning, "\(error) while stopping", service: name)
        }
        tearDown(service, reason: reason)
        note(.info, reason, service: name)
    }

    /// A state reset of one service, the others untouched; true when it runs again.
    func restart(_ name: String) -> Bool {
        guard services[name] != nil else { return false }
        stopService(name, reason: "restarting")
        startService(name)
        return services[name]?.state.isRunning == true
    }
}

extension ModuleRefusal {
    var message: String { description }
}


@available(*, unavailable)
extension Supervisor: Sendable {}
