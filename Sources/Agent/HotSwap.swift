import Boards
import Manifests
import ModuleHost
import ModuleRuntime

/// The outcome of a hot swap, for the one-line report people see.
public struct SwapReport: Sendable, CustomStringConvertible {
    public let module: String
    public let from: String
    public let to: String
    public let services: [String]
    public let pauseNanoseconds: UInt64
    /// False when the target version could not read the state and started fresh (rollback).
    public let stateMigrated: Bool

    public var description: String {
        let pause = Double(pauseNanoseconds / 1000) / 1000
        let outcome = stateMigrated ? "state migrated" : "state reset (it cannot read \(from)'s state)"
        return "\(module) \(from) → \(to): swapped \(services.count) service\(services.count == 1 ? "" : "s") in \(pause) ms, \(outcome)"
    }
}

/// Why a swap did not happen; the running version is untouched.
public struct SwapRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension AgentRuntime {
    /// Hot-swaps every running service of the module in `bytes` to it: verify and
    /// instantiate first, then (the loop being paused by construction) snapshot each old
    /// instance and `code_change` the new one; all switch only if all migrated. The old
    /// instances stay intact during probation. Runs on the loop thread.
    func swap(to bytes: [UInt8], source: String, allowDowngrade: Bool, freshStateIfRefused: Bool = false) throws(SwapRefusal) -> SwapReport {
        let artifact: ModuleArtifact
        do {
            artifact = try ModuleArtifact(bytes: bytes, source: source, engine: engine)
        } catch {
            throw SwapRefusal(description: error.description)
        }
        let manifest = artifact.manifest
        let users = config.serviceOrder.compactMap { services[$0] }.filter { $0.config.module == manifest.name }
        guard !users.isEmpty else {
            throw SwapRefusal(description: "no service runs module \(manifest.name)")
        }
        let current = (try? self.artifact(for: manifest.name))?.manifest.version
        if let current, manifest.version <= current, !allowDowngrade {
            throw SwapRefusal(
                description: "\(manifest.name) \(manifest.version) is not newer than the running \(current) (a downgrade needs --allow-downgrade)")
        }
        let running = users.filter { $0.state.isRunning && $0.instance != nil }
        // Before the pause: verify against each service and instantiate (compiling everything).
        var prepared: [(Service, ModuleInstance)] = []
        for service in running {
            guard let resources = service.resources else { continue }
            do {
                try resources.checkAdoptable(manifest)
                prepared.append((service, try ModuleInstance(artifact: artifact, resources: resources, engine: engine)))
            } catch let refusal as ServiceResources.Refusal {
                throw SwapRefusal(description: refusal.message)
            } catch {
                throw SwapRefusal(description: "\(error)")
            }
        }
        let started = now
        var migrated: [(Service, ModuleInstance, ModuleInstance)] = []
        var stateMigrated = true
        for (service, next) in prepared {
            guard let old = service.instance else { continue }
            do {
                let (instance, migratedState) = try migrate(service, from: old, to: next, artifact: artifact, freshStateIfRefused: freshStateIfRefused)
                stateMigrated = stateMigrated && migratedState
                migrated.append((service, old, instance))
            } catch {
                // The old instances are untouched; nothing switched.
                note("error", "swap to \(manifest.name) \(manifest.version) abandoned: \(error)", service: service.name)
                if let resources = service.resources {
                    try? resources.adopt(old.manifest, parameters: parameterValues(service.name, old.manifest))
                }
                throw SwapRefusal(description: "\(error); \(old.manifest.name) \(old.manifest.version) keeps running")
            }
        }
        for (service, old, next) in migrated {
            try? service.resources?.adopt(manifest, parameters: parameterValues(service.name, manifest))
            service.instance = next
            service.previous = old
            service.probationEventsLeft = AgentRuntime.probationEvents
            service.probationUntil = now + AgentRuntime.probationNanoseconds
            updateTimer(service)
        }
        let pause = now - started
        let from = current?.description ?? "?"
        artifacts[manifest.name] = artifact
        do {
            // The first swap of a built-in module records the built-in version too, for rollback.
            if store.history(of: manifest.name).isEmpty, let current, let path = builtInSources[manifest.name] {
                let original = try FileSystem.read(path, limit: engine.limits.moduleBytes + 1)
                if let old = migrated.first?.1.manifest ?? prepared.first.map({ _ in manifest }), old.version == current {
                    _ = try store.install(original, manifest: old)
                    try store.activate(manifest.name, version: current)
                }
            }
            _ = try store.install(bytes, manifest: manifest)
            try store.activate(manifest.name, version: manifest.version)
        } catch let failure as DataStore.Failure {
            note("warning", "swapped, but could not store the module: \(failure)", service: nil)
        } catch {
            note("warning", "swapped, but could not store the module: \(error)", service: nil)
        }
        let report = SwapReport(
            module: manifest.name, from: from, to: manifest.version.description, services: migrated.map(\.0.name),
            pauseNanoseconds: pause, stateMigrated: stateMigrated)
        note("info", report.description)
        return report
    }

    /// Snapshot of `old`, `code_change` of `next`; when going back to a version that cannot
    /// read newer state (a rollback), a fresh instance started from nothing instead.
    private func migrate(
        _ service: Service, from old: ModuleInstance, to next: ModuleInstance, artifact: ModuleArtifact, freshStateIfRefused: Bool
    ) throws(ServiceCrash) -> (ModuleInstance, Bool) {
        let state = try old.snapshot()
        do {
            try next.codeChange(from: old.manifest.version, state: state)
            return (next, true)
        } catch {
            guard freshStateIfRefused, error.reason == "returned status incompatibleState", let resources = service.resources,
                let fresh = try? ModuleInstance(artifact: artifact, resources: resources, engine: engine)
            else { throw error }
            try fresh.start()
            return (fresh, false)
        }
    }

    /// `module rollback NAME`: back to the version active before the current one.
    func rollback(_ module: String) throws(SwapRefusal) -> SwapReport {
        let history = store.history(of: module)
        guard history.count >= 2 else {
            throw SwapRefusal(description: "\(module) has no earlier version to roll back to")
        }
        let target = history[history.count - 2]
        guard let record = store.installed(module, version: target) else {
            throw SwapRefusal(description: "\(module) \(target) is no longer stored")
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(record.path, limit: engine.limits.moduleBytes + 1)
        } catch {
            throw SwapRefusal(description: "\(error)")
        }
        return try swap(to: bytes, source: record.path, allowDowngrade: true, freshStateIfRefused: true)
    }
}
