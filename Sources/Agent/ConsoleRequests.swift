import Boards
import Hardware
import Manifests
import ModuleHost
import ModuleRuntime

/// What a console asks of the supervisor, on the loop thread (through
/// `AgentHandle.perform`, as `supervisor.console`): service and module summaries,
/// parameters, calls, start, stop, restart and module history. Made for one request; not `Sendable`, like the supervisor.
public struct ConsoleRequests {
    let supervisor: Supervisor

    private var services: [String: Service] { supervisor.services }
    private var config: AgentConfig { supervisor.config }

    /// The board's clock, as the services see it.
    public var time: any SystemTime { supervisor.time }

    private func service(_ name: String) throws(AgentRefusal) -> Service {
        guard let service = services[name] else {
            throw AgentRefusal(.unknownName, "no service '\(name)' (services: \(config.serviceOrder.joined(separator: ", ")))")
        }
        return service
    }

    /// Every service in start order.
    public func serviceSummaries() -> [ServiceSummary] {
        config.serviceOrder.compactMap { services[$0] }.map(summary)
    }

    private func summary(_ service: Service) -> ServiceSummary {
        let now = supervisor.now
        let manifest = service.instance?.manifest ?? supervisor.catalog[service.config.module]?.manifest
        var detail: String?
        switch service.state {
        case .failed(let reason), .stopped(let reason): detail = reason
        case .restarting(let at): detail = "in \(at > now ? (at - now) / 1_000_000 : 0) ms"
        case .running: detail = nil
        }
        return ServiceSummary(
            name: service.name, module: service.config.module, version: manifest?.version.description ?? "-",
            state: service.state.description, detail: detail, restarts: service.restarts,
            grants: service.config.grants.i2c.map(\.description) + service.config.grants.gpio.map(\.description)
                + (service.config.grants.clockSet ? ["clock"] : []),
            readings: service.readings.keys.sorted().map { ($0, service.readings[$0] ?? 0) }, lastCrash: service.lastCrash,
            timerMilliseconds: Int(service.tickPeriod / 1_000_000), edgeLatency: service.edgeLatency.summary,
            standby: service.standby?.manifest.version.description,
            health: service.state.isRunning ? service.instance?.health : nil)
    }

    public func serviceSummary(_ name: String) throws(AgentRefusal) -> ServiceSummary {
        summary(try service(name))
    }

    private func manifest(of service: Service) throws(AgentRefusal) -> ModuleManifest {
        if let manifest = service.instance?.manifest { return manifest }
        do {
            return try supervisor.artifact(for: service.config.module).manifest
        } catch {
            throw AgentRefusal(.moduleUnavailable, error.description)
        }
    }

    public func parameters(of name: String) throws(AgentRefusal) -> [ParameterSummary] {
        let service = try service(name)
        let manifest = try manifest(of: service)
        let values = service.resources?.parameters ?? supervisor.parameterValues(name, manifest)
        return zip(manifest.parameters, values).map { ParameterSummary(parameter: $0, value: $1) }
    }

    /// `set NAME.PARAM VALUE`: validated, stored atomically, delivered to the module.
    public func setParameter(_ name: String, _ parameterName: String, _ text: String) throws(AgentRefusal) -> String {
        let service = try service(name)
        let manifest = try manifest(of: service)
        guard let (index, parameter) = manifest.parameter(named: parameterName) else {
            throw AgentRefusal(
                .unknownName,
                "\(manifest.name) has no parameter '\(parameterName)' (parameters: \(manifest.parameters.map(\.name).joined(separator: ", ")))")
        }
        let value: Double
        do {
            value = try parameter.parse(text)
        } catch {
            throw AgentRefusal(.invalidValue, error.message)
        }
        do {
            supervisor.parameterEpoch += 1
            try supervisor.store.setParameter(parameterName, value, of: name)
        } catch {
            throw AgentRefusal(.storage, "not stored: \(error)")
        }
        if service.state.isRunning, let instance = service.instance {
            supervisor.deliver(service, event: "parameter") { try $0.setParameter(index: index, value: value) }
            if let crash = crashReport(service, instance) {
                throw AgentRefusal(
                    .serviceFailed, "\(name).\(parameterName) = \(parameter.format(value)) stored, but \(name) crashed handling it: \(crash)")
            }
        }
        return "\(name).\(parameterName) = \(parameter.format(value))"
    }

    /// A request to a running service's `call` handler and its reply (`call NAME BYTES…` on
    /// the console): the module's gen_server:call. A crash in the handler is supervised
    /// like any other and reported here.
    public func call(_ name: String, request: [UInt8]) throws(AgentRefusal) -> [UInt8] {
        let service = try service(name)
        guard service.state.isRunning, let instance = service.instance else {
            throw AgentRefusal(.wrongState, "\(name) is not running (\(service.state.description))")
        }
        var reply: [UInt8] = []
        supervisor.deliver(service, event: "call") { reply = try $0.call(request) }
        if let crash = crashReport(service, instance) {
            throw AgentRefusal(.serviceFailed, "\(name) crashed handling the call: \(crash)")
        }
        return reply
    }

    /// What became of a service whose `instance` just handled an event, if it crashed: put
    /// under supervision, or (on probation after a swap) replaced by the version before.
    private func crashReport(_ service: Service, _ instance: ModuleInstance) -> String? {
        // Replaced while running: rolled back on probation (a crash, or a `failing` report).
        if let current = service.instance, current !== instance {
            let why = instance.crash?.description ?? service.lastCrash ?? "it failed on probation"
            return "\(why); rolled back to \(current.manifest.name) \(current.manifest.version)"
        }
        guard let crash = instance.crash else { return nil }
        return service.lastCrash ?? crash.description
    }

    public func getParameter(_ name: String, _ parameterName: String) throws(AgentRefusal) -> String {
        for summary in try parameters(of: name) where summary.parameter.name == parameterName {
            return summary.parameter.format(summary.value)
        }
        throw AgentRefusal(.unknownName, "\(services[name]?.config.module ?? name) has no parameter '\(parameterName)'")
    }

    public func stop(_ name: String) throws(AgentRefusal) {
        let service = try service(name)
        supervisor.stopService(name, reason: "stopped from the console")
        service.standby = nil
    }

    public func start(_ name: String) throws(AgentRefusal) {
        let service = try service(name)
        guard !service.state.isRunning else { throw AgentRefusal(.wrongState, "\(name) is already running") }
        supervisor.startService(name)
        guard service.state.isRunning else {
            throw AgentRefusal(.serviceFailed, "\(name) did not start: \(service.lastCrash ?? service.state.description)")
        }
    }

    /// `restart NAME`: a state reset of one service, the others untouched.
    public func restart(_ name: String) throws(AgentRefusal) {
        _ = try service(name)
        guard supervisor.restart(name) else {
            throw AgentRefusal(.serviceFailed, "\(name) did not start again: \(services[name]?.lastCrash ?? "see log")")
        }
    }

    /// The modules in use: name, active version, size, services running it.
    public func moduleSummaries() -> [(name: String, version: String, bytes: Int, services: [String])] {
        let names = Set(config.services.values.map(\.module)).sorted()
        return names.map { name in
            let artifact = try? supervisor.artifact(for: name)
            return (
                name, artifact?.manifest.version.description ?? "-", artifact?.byteCount ?? 0,
                config.serviceOrder.filter { services[$0]?.config.module == name }
            )
        }
    }

    /// `module history NAME`: every version that ran, in the order first tried, with what
    /// became of it (active, rolled back and why, replaced by which). Call
    /// `AgentHandle.moduleHistory`, which lets the store writer finish first.
    func moduleHistory(_ name: String) throws(AgentRefusal) -> [ModuleHistoryEntry] {
        guard config.services.values.contains(where: { $0.module == name }) else {
            throw AgentRefusal(.unknownName, "no service runs module '\(name)'")
        }
        let store = supervisor.store
        let running = (try? supervisor.artifact(for: name))?.manifest.version
        var outcomes = store.outcomes(of: name)
        if outcomes.events.isEmpty {
            // Before the journal (or without one): the versions the history says were active.
            for version in store.history(of: name) { outcomes.add(.activated(version)) }
        }
        var entries = outcomes.entries(running: running)
        if store.history(of: name).isEmpty, let running, supervisor.catalog.builtInSources[name]?.version == running {
            entries = entries.map { entry in
                var entry = entry
                entry.builtIn = entry.version == running
                return entry
            }
        }
        return entries
    }
}

extension AgentHandle {
    /// `module history NAME`: what the store writer was given so far (a rollback's record)
    /// is written first, off the loop thread (the loop never waits for an fsync).
    public func moduleHistory(_ name: String) throws(AgentRefusal) -> [ModuleHistoryEntry] {
        flushStore()
        guard let answer = performIfRunning({ supervisor in Result { () throws(AgentRefusal) in try supervisor.console.moduleHistory(name) } }) else {
            throw AgentRefusal(.stopping, "the agent is stopping")
        }
        return try answer.get()
    }

    /// `module load NAME FILE`: a local hot swap, for development. Call it off the loop
    /// thread (not through `perform`): the swap holds the loop only for its switch.
    public func load(module name: String, bytes: [UInt8], source: String, allowDowngrade: Bool) throws(SwapRefusal) -> SwapReport {
        let peek = ModuleManifestPeek.name(of: bytes)
        guard peek == nil || peek == name else {
            throw .otherModule(source: source, holds: peek ?? "?", expected: name)
        }
        return try swap(to: bytes, source: source, allowDowngrade: allowDowngrade)
    }

    /// `module rollback NAME`, off the loop thread like `load`.
    public func rollbackFromConsole(_ name: String) throws(SwapRefusal) -> SwapReport {
        try rollback(name)
    }
}

/// Reads a module's name from its embedded manifest without verifying the rest.
enum ModuleManifestPeek {
    static func name(of bytes: [UInt8]) -> String? {
        guard let section = try? WasmBinary.customSection("midflight.manifest", in: bytes),
            let manifest = try? ModuleManifest.parse(section, file: "manifest")
        else { return nil }
        return manifest.name
    }
}

