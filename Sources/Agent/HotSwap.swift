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
    /// Set when the module could not be stored on the data partition.
    public let storageProblem: String?

    public var description: String {
        let pause = Double(pauseNanoseconds / 1000) / 1000
        let outcome = stateMigrated ? "state migrated" : "state reset (it cannot read \(from)'s state)"
        let storage = storageProblem.map { "; NOT STORED, the old version returns after a reboot: \($0)" } ?? ""
        return "\(module) \(from) → \(to): swapped \(services.count) service\(services.count == 1 ? "" : "s") in \(pause) ms, \(outcome)\(storage)"
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
        let currentArtifact = try? self.artifact(for: manifest.name)
        let current = currentArtifact?.manifest.version
        if let current, manifest.version <= current, !allowDowngrade {
            throw SwapRefusal(
                description: "\(manifest.name) \(manifest.version) is not newer than the running \(current) (a downgrade needs --allow-downgrade)")
        }
        let running = users.filter { $0.state.isRunning && $0.instance != nil && $0.resources != nil }
        // Before the pause: verify against each service and instantiate (compiling everything).
        // Parameter values too: reading them touches the data partition.
        var prepared: [(Service, ModuleInstance, [Double])] = []
        for service in running {
            guard let resources = service.resources else { continue }
            do {
                try resources.checkAdoptable(manifest)
                prepared.append(
                    (service, try ModuleInstance(artifact: artifact, resources: resources, engine: engine), parameterValues(service.name, manifest)))
            } catch let refusal as ServiceResources.Refusal {
                throw SwapRefusal(description: refusal.message)
            } catch {
                throw SwapRefusal(description: "\(error)")
            }
        }
        let started = now
        var migrated: [(service: Service, old: ModuleInstance, new: ModuleInstance, timer: Int)] = []
        var stateMigrated = true
        for (service, next, parameters) in prepared {
            guard let old = service.instance, let resources = service.resources else { continue }
            let state: [UInt8]
            do {
                state = try old.snapshot()
            } catch {
                // The running version itself failed: undo what switched, and supervise the crash.
                undo(migrated, manifest: manifest)
                crashed(service, error)
                throw SwapRefusal(description: "\(error) while handing over its state; the swap was abandoned")
            }
            let timer = resources.timerPeriodMilliseconds
            do {
                // The new version reads its parameters in its own manifest's order.
                try resources.adopt(manifest, parameters: parameters)
                let (instance, migratedState) = try migrate(service, state: state, from: old, to: next, artifact: artifact, freshStateIfRefused: freshStateIfRefused)
                stateMigrated = stateMigrated && migratedState
                migrated.append((service, old, instance, timer))
            } catch {
                undo(migrated + [(service, old, next, timer)], manifest: manifest)
                note("error", "swap to \(manifest.name) \(manifest.version) abandoned: \(error)", service: service.name)
                throw SwapRefusal(description: "\(error); \(old.manifest.name) \(old.manifest.version) keeps running")
            }
        }
        // The instances on probation from an earlier swap are freed after the pause, not in it.
        let retired = migrated.compactMap(\.service.previous)
        for entry in migrated {
            entry.service.instance = entry.new
            entry.service.previous = entry.old
            entry.service.timerBeforeSwap = entry.timer
            entry.service.probationUntil = now + AgentRuntime.probationNanoseconds
            updateTimer(entry.service)
        }
        let pause = now - started
        withExtendedLifetime(retired) {}
        for entry in migrated { prepareStandbyLater(entry.service) }
        artifacts[manifest.name] = artifact
        var storage: String?
        do {
            // The first swap of a built-in module records the built-in version too, for rollback.
            if store.history(of: manifest.name).isEmpty, let currentArtifact, let path = builtInSources[manifest.name] {
                _ = try store.install(try FileSystem.read(path, limit: engine.limits.moduleBytes + 1), manifest: currentArtifact.manifest)
                try store.activate(manifest.name, version: currentArtifact.manifest.version)
            }
            _ = try store.install(bytes, manifest: manifest)
            if freshStateIfRefused, store.history(of: manifest.name).contains(manifest.version) {
                try store.revert(manifest.name, to: manifest.version)
            } else {
                try store.activate(manifest.name, version: manifest.version)
            }
        } catch {
            storage = "\(error)"
            note("error", "swapped, but not stored (the old version comes back after a reboot): \(error)", service: nil)
        }
        let report = SwapReport(
            module: manifest.name, from: current?.description ?? "?", to: manifest.version.description,
            services: migrated.map(\.service.name), pauseNanoseconds: pause, stateMigrated: stateMigrated, storageProblem: storage)
        note("info", report.description)
        return report
    }

    /// Puts back the old manifest and timer of services whose swap did not complete.
    private func undo(_ entries: [(service: Service, old: ModuleInstance, new: ModuleInstance, timer: Int)], manifest: ModuleManifest) {
        for entry in entries {
            guard let resources = entry.service.resources else { continue }
            do {
                try resources.adopt(entry.old.manifest, parameters: parameterValues(entry.service.name, entry.old.manifest))
            } catch {
                note("error", "cannot hand the resources back to \(entry.old.manifest.version): \(error)", service: entry.service.name)
            }
            resources.restoreTimer(milliseconds: entry.timer)
        }
    }

    /// `code_change` of `next` from `state`; when going back to a version that cannot read
    /// newer state (a rollback), a fresh instance started from nothing instead.
    private func migrate(
        _ service: Service, state: [UInt8], from old: ModuleInstance, to next: ModuleInstance, artifact: ModuleArtifact,
        freshStateIfRefused: Bool
    ) throws(ServiceCrash) -> (ModuleInstance, Bool) {
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
