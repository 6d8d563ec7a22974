import Boards
import Manifests
import ModuleHost
import ModuleRuntime
import Platform

/// The outcome of a hot swap, for the one-line report people see.
public struct SwapReport: Sendable, CustomStringConvertible {
    public let module: String
    public let from: String
    public let to: String
    public let services: [String]
    public let pauseNanoseconds: UInt64
    /// How long the loop thread was held, pause included (events and calls to every service
    /// wait this long); verification and instantiation happen before it, storing after it.
    public let loopNanoseconds: UInt64
    /// False when the target version could not read the state and started fresh (rollback).
    public let stateMigrated: Bool
    /// Set when the module could not be stored on the data partition.
    public internal(set) var storageProblem: String?
    /// Which swap of the module this was (for its probation verdict).
    let serial: Int

    public var description: String {
        let pause = Double(pauseNanoseconds / 1000) / 1000
        let outcome = stateMigrated ? "state migrated" : "state reset (it cannot read \(from)'s state)"
        let storage = storageProblem.map { "; NOT STORED, the old version returns after a reboot: \($0)" } ?? ""
        let held = Double(loopNanoseconds / 1000) / 1000
        return "\(module) \(from) → \(to): swapped \(services.count) service\(services.count == 1 ? "" : "s") in \(pause) ms (loop held \(held) ms), \(outcome)\(storage)"
    }
}

extension Supervisor {
    /// What the loop thread says before a swap is prepared: how many instances to make.
    struct SwapPlan: Sendable {
        let runningServices: [String]
        /// The built-in version's file: stored too on the module's first swap, for rollback.
        let builtIn: (path: String, manifest: ModuleManifest)?
        let parameterEpoch: Int
    }

    /// On the loop thread: the checks that need the services, and what to prepare.
    fileprivate func swapPlan(_ manifest: ModuleManifest, allowDowngrade: Bool) -> Result<SwapPlan, SwapRefusal> {
        Result { () throws(SwapRefusal) -> SwapPlan in
            let users = try swapUsers(manifest, allowDowngrade: allowDowngrade)
            var builtIn: (String, ModuleManifest)?
            // Only when what runs is the built-in file: its bytes are stored under its version.
            if let current = try? artifact(for: manifest.name), let source = catalog.builtInSources[manifest.name],
                source.version == current.manifest.version
            {
                builtIn = (source.path, current.manifest)
            }
            return SwapPlan(runningServices: users.filter(isSwappable).map(\.name), builtIn: builtIn, parameterEpoch: parameterEpoch)
        }
    }

    private func swapUsers(_ manifest: ModuleManifest, allowDowngrade: Bool) throws(SwapRefusal) -> [Service] {
        let users = config.serviceOrder.compactMap { services[$0] }.filter { $0.config.module == manifest.name }
        guard !users.isEmpty else {
            throw .noService(module: manifest.name)
        }
        if let current = (try? artifact(for: manifest.name))?.manifest.version, manifest.version <= current, !allowDowngrade {
            throw .notNewer(module: manifest.name, version: manifest.version, running: current)
        }
        return users
    }

    private func isSwappable(_ service: Service) -> Bool {
        service.running != nil
    }

    /// On the loop thread: checks, then the pause (snapshot, `code_change`, switch); the
    /// store and history record are queued to the store writer, and its receipt returned.
    /// `spares` are unbound instances of `artifact`, one per running service as planned; a
    /// service that started since gets one made here.
    fileprivate func switchOver(
        to artifact: ModuleArtifact, bytes: [UInt8], spares: [ModuleInstance], allowDowngrade: Bool, freshStateIfRefused: Bool,
        plan: SwapPlan, storedParameters: [String: [String: Double]]
    ) -> Result<(SwapReport, StoreReceipt), SwapRefusal> {
        let held = now
        let manifest = artifact.manifest
        let currentArtifact = try? self.artifact(for: manifest.name)
        var spares = spares
        let running: [Service]
        do {
            running = try swapUsers(manifest, allowDowngrade: allowDowngrade).filter(isSwappable)
        } catch {
            return .failure(error)
        }
        // Before the pause: verify against each service and bind an instance to it. The
        // parameters read off the loop thread hold unless one was set since.
        let parametersCurrent = plan.parameterEpoch == parameterEpoch
        var prepared: [(Service, ModuleInstance, [Double])] = []
        for service in running {
            guard let resources = service.resources else { continue }
            do {
                try resources.checkAdoptable(manifest)
                let next: ModuleInstance
                if let spare = spares.popLast() {
                    spare.bind(to: resources)
                    next = spare
                } else {
                    next = try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
                }
                let stored = parametersCurrent ? storedParameters[service.name] : nil
                prepared.append((service, next, parameterValues(service.name, manifest, stored: stored)))
            } catch let refusal as ServiceResources.Refusal {
                return .failure(.notAdoptable(refusal))
            } catch let refusal as ModuleRefusal {
                return .failure(.invalidModule(refusal))
            } catch {
                return .failure(.invalidModule(ModuleRefusal("\(error)")))
            }
        }
        let started = now
        var migrated: [(service: Service, old: ModuleInstance, new: ModuleInstance, timer: Int)] = []
        var savedReadings: [String: [String: Double]] = [:]
        var stateMigrated = true
        for (service, next, parameters) in prepared {
            guard let old = service.instance, let resources = service.resources else { continue }
            let state: [UInt8]
            do {
                state = try old.snapshot()
            } catch {
                // The running version itself failed: undo what switched, and supervise the crash.
                undo(migrated, manifest: manifest)
                for (name, readings) in savedReadings { services[name]?.readings = readings }
                crashed(service, error)
                return .failure(.handOverCrashed(error))
            }
            let timer = resources.timerPeriodMilliseconds
            // Readings belong to the version that published them: the new one starts with
            // none (what it publishes in code_change counts), the old ones come back on undo.
            savedReadings[service.name] = service.readings
            service.readings = [:]
            let refusal: SwapRefusal
            do {
                // The new version reads its parameters in its own manifest's order.
                try resources.adopt(manifest, parameters: parameters)
                let (instance, migratedState) = try migrate(service, state: state, from: old, to: next, artifact: artifact, freshStateIfRefused: freshStateIfRefused)
                stateMigrated = stateMigrated && migratedState
                migrated.append((service, old, instance, timer))
                continue
            } catch let adopting as ServiceResources.Refusal {
                refusal = .notAdoptable(adopting)
            } catch let crash as ServiceCrash {
                refusal = .migrationFailed(crash, keeps: "\(old.manifest.name) \(old.manifest.version)")
            } catch {
                refusal = .invalidModule(ModuleRefusal("\(error)"))
            }
            undo(migrated + [(service, old, next, timer)], manifest: manifest)
            for (name, readings) in savedReadings { services[name]?.readings = readings }
            note(.error, "swap to \(manifest.name) \(manifest.version) abandoned: \(refusal)", service: service.name)
            return .failure(refusal)
        }
        // The instances on probation from an earlier swap are freed by the worker, off the
        // loop: the handoff is their only holder.
        let retired = Handoff(migrated.compactMap(\.service.previous))
        for entry in migrated {
            guard let running = entry.service.running else { continue }
            running.instance = entry.new
            running.loggedHealth = .healthy
            running.probation = Probation(previous: entry.old, until: now + AgentHandle.probationNanoseconds, timerBeforeSwap: entry.timer)
            updateTimer(entry.service)
        }
        let pause = now - started
        standbyWorker.submit { withExtendedLifetime(retired) {} }
        catalog[manifest.name] = artifact
        // Stored and recorded by the store writer, in order with any rollback's revert.
        let receipt = StoreReceipt()
        let (store, builtIn, limit) = (self.store, plan.builtIn, engine.limits.moduleBytes + 1)
        storeWriter.submit {
            do {
                try AgentHandle.store(bytes, manifest, builtIn: builtIn, freshStateIfRefused: freshStateIfRefused, in: store, limit: limit)
                receipt.finish(problem: nil)
            } catch {
                receipt.finish(problem: "\(error)")
            }
        }
        swapSerials[manifest.name, default: 0] += 1
        let report = SwapReport(
            module: manifest.name, from: currentArtifact?.manifest.version.description ?? "?", to: manifest.version.description,
            services: migrated.map(\.service.name), pauseNanoseconds: pause, loopNanoseconds: now - held, stateMigrated: stateMigrated,
            storageProblem: nil, serial: swapSerials[manifest.name] ?? 0)
        // Standbys of the new version, made off the loop thread.
        for entry in migrated { prepareStandbyLater(entry.service) }
        return .success((report, receipt))
    }

    /// Puts back the old manifest and timer of services whose swap did not complete.
    private func undo(_ entries: [(service: Service, old: ModuleInstance, new: ModuleInstance, timer: Int)], manifest: ModuleManifest) {
        for entry in entries {
            guard let resources = entry.service.resources else { continue }
            do {
                try resources.adopt(entry.old.manifest, parameters: parameterValues(entry.service.name, entry.old.manifest))
            } catch {
                note(.error, "cannot hand the resources back to \(entry.old.manifest.version): \(error)", service: entry.service.name)
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
            guard freshStateIfRefused, error.status == .incompatibleState, let resources = service.resources,
                let fresh = try? ModuleInstance(artifact: artifact, resources: resources, engine: engine)
            else { throw error }
            try fresh.start()
            return (fresh, false)
        }
    }
}

extension AgentHandle {
    /// Hot-swaps every running service of the module in `bytes` to it. Called off the loop
    /// thread (a console or SSH session), which verifies the module, instantiates one copy
    /// per service and reads the services' parameters; the loop thread is then held only to
    /// snapshot each old instance, `code_change` the new one and switch (all switch only if
    /// all migrated). The loop then has the store writer store the module and record it as
    /// active, and this thread waits for that. The old instances stay intact during
    /// probation; a crash in it reverts the record (queued behind it).
    public func swap(to bytes: [UInt8], source: String, allowDowngrade: Bool, freshStateIfRefused: Bool = false) throws(SwapRefusal) -> SwapReport {
        // One swap at a time: the plan, the instances made for it and the switch belong together.
        try swapLock.withLock { () throws(SwapRefusal) -> SwapReport in
            try swapHoldingLock(to: bytes, source: source, allowDowngrade: allowDowngrade, freshStateIfRefused: freshStateIfRefused)
        }
    }

    private func swapHoldingLock(to bytes: [UInt8], source: String, allowDowngrade: Bool, freshStateIfRefused: Bool) throws(SwapRefusal) -> SwapReport {
        let artifact: ModuleArtifact
        do {
            artifact = try ModuleArtifact(bytes: bytes, source: source, engine: engine)
        } catch {
            throw .invalidModule(error)
        }
        let manifest = artifact.manifest
        let stopping = SwapRefusal.stopping(module: manifest.name)
        guard let planned = performIfRunning({ $0.swapPlan(manifest, allowDowngrade: allowDowngrade) }) else { throw stopping }
        let plan = try planned.get()
        var spares: [ModuleInstance] = []
        for _ in plan.runningServices {
            do {
                spares.append(try ModuleInstance(standbyFor: artifact, engine: engine))
            } catch {
                throw .invalidModule(error)
            }
        }
        let stored = Dictionary(uniqueKeysWithValues: plan.runningServices.map { ($0, store.parameters(of: $0)) })
        let handoff = Handoff(spares)
        guard
            let outcome = performIfRunning({ runtime in
                runtime.switchOver(
                    to: artifact, bytes: bytes, spares: handoff.value, allowDowngrade: allowDowngrade,
                    freshStateIfRefused: freshStateIfRefused, plan: plan, storedParameters: stored)
            })
        else { throw stopping }
        var (report, receipt) = try outcome.get()
        report.storageProblem = receipt.wait()
        if let problem = report.storageProblem {
            note(.error, "swapped, but not stored (the old version comes back after a reboot): \(problem)", service: nil)
        }
        note(.info, report.description)
        return report
    }

    /// Stores the module (and, on its first swap, the built-in version it replaces) and
    /// records it as the active version; on the store writer, after the switch.
    fileprivate static func store(
        _ bytes: [UInt8], _ manifest: ModuleManifest, builtIn: (path: String, manifest: ModuleManifest)?, freshStateIfRefused: Bool,
        in store: DataStore, limit: Int
    ) throws -> Void {
        let history = store.history(of: manifest.name)
        // The first swap of a built-in module records the built-in version too, for rollback.
        if let builtIn, history.isEmpty {
            _ = try store.install(try FileSystem.read(builtIn.path, limit: limit), manifest: builtIn.manifest)
            try store.activate(manifest.name, version: builtIn.manifest.version)
            if store.outcomes(of: manifest.name).events.isEmpty { try store.record(.activated(builtIn.manifest.version), of: manifest.name) }
        }
        _ = try store.install(bytes, manifest: manifest)
        if freshStateIfRefused, history.contains(manifest.version) {
            try store.revert(manifest.name, to: manifest.version)
        } else {
            try store.activate(manifest.name, version: manifest.version)
        }
        try store.record(.activated(manifest.version), of: manifest.name)
    }

    /// `module rollback NAME`: back to the version active before the current one (off the loop thread, as `swap`).
    func rollback(_ module: String) throws(SwapRefusal) -> SwapReport {
        // The target is read from the history under the swap lock, after the writes queued
        // so far (a probation rollback's revert): two rollbacks go back two versions.
        try swapLock.withLock { () throws(SwapRefusal) -> SwapReport in
            if let problem = flushStore() {
                throw .historyUnsettled(module: module, problem: problem)
            }
            return try rollbackHoldingLock(module)
        }
    }

    private func rollbackHoldingLock(_ module: String) throws(SwapRefusal) -> SwapReport {
        let history = store.history(of: module)
        guard history.count >= 2 else {
            throw .noEarlierVersion(module: module)
        }
        let target = history[history.count - 2]
        guard let record = store.installed(module, version: target) else {
            throw .notStored(module: module, version: target)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(record.path, limit: engine.limits.moduleBytes + 1)
        } catch {
            throw .unreadable(error)
        }
        let report = try swapHoldingLock(to: bytes, source: record.path, allowDowngrade: true, freshStateIfRefused: true)
        if let left = history.last {
            storeWriter.submit { [store] in try? store.record(.rolledBack(left, reason: "by module rollback"), of: module) }
        }
        return report
    }
}
