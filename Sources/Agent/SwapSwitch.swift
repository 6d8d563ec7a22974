import Manifests
import ModuleHost
import ModuleRuntime

/// The loop's side of a hot swap, over the supervisor: the checks that need the services
/// (`plan`), then the pause itself (`switchOver`): snapshot each old instance, `code_change`
/// the new one, switch all or none, put the old one on probation, and hand the store writer
/// the module to record; and when the new version fails on probation, the way back
/// (`rollBack`). Made for one step of one swap, on the loop thread.
struct SwapSwitch {
    let supervisor: Supervisor

    /// What the loop thread says before a swap is prepared: how many instances to make.
    struct Plan: Sendable {
        let runningServices: [String]
        /// The built-in version's file: stored too on the module's first swap, for rollback.
        let builtIn: (path: String, manifest: ModuleManifest)?
        let parameterEpoch: Int
    }

    /// On the loop thread: the checks that need the supervisor.services, and what to prepare.
    func plan(_ manifest: ModuleManifest, allowDowngrade: Bool) -> Result<Plan, SwapRefusal> {
        Result { () throws(SwapRefusal) -> Plan in
            let users = try users(manifest, allowDowngrade: allowDowngrade)
            var builtIn: (String, ModuleManifest)?
            // Only when what runs is the built-in file: its bytes are stored under its version.
            if let current = try? supervisor.artifact(for: manifest.name), let source = supervisor.catalog.builtInSources[manifest.name],
                source.version == current.manifest.version
            {
                builtIn = (source.path, current.manifest)
            }
            return Plan(runningServices: users.filter(isSwappable).map(\.name), builtIn: builtIn, parameterEpoch: supervisor.parameterEpoch)
        }
    }

    private func users(_ manifest: ModuleManifest, allowDowngrade: Bool) throws(SwapRefusal) -> [Service] {
        let users = supervisor.config.serviceOrder.compactMap { supervisor.services[$0] }.filter { $0.config.module == manifest.name }
        guard !users.isEmpty else {
            throw .noService(module: manifest.name)
        }
        if let current = (try? supervisor.artifact(for: manifest.name))?.manifest.version, manifest.version <= current, !allowDowngrade {
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
    func switchOver(
        to artifact: ModuleArtifact, bytes: [UInt8], spares: [ModuleInstance], allowDowngrade: Bool, freshStateIfRefused: Bool,
        plan: Plan, storedParameters: [String: [String: Double]]
    ) -> Result<(SwapReport, StoreReceipt), SwapRefusal> {
        let held = supervisor.now
        let manifest = artifact.manifest
        let currentArtifact = try? supervisor.artifact(for: manifest.name)
        var spares = spares
        let running: [Service]
        do {
            running = try users(manifest, allowDowngrade: allowDowngrade).filter(isSwappable)
        } catch {
            return .failure(error)
        }
        // Before the pause: verify against each service and bind an instance to it. The
        // parameters read off the loop thread hold unless one was set since.
        let parametersCurrent = plan.parameterEpoch == supervisor.parameterEpoch
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
                    next = try ModuleInstance(artifact: artifact, resources: resources, engine: supervisor.engine)
                }
                let stored = parametersCurrent ? storedParameters[service.name] : nil
                prepared.append((service, next, supervisor.parameterValues(service.name, manifest, stored: stored)))
            } catch let refusal as ServiceResources.Refusal {
                return .failure(.notAdoptable(refusal))
            } catch let refusal as ModuleRefusal {
                return .failure(.invalidModule(refusal))
            } catch {
                return .failure(.invalidModule(ModuleRefusal(.instantiation, "\(error)")))
            }
        }
        let started = supervisor.now
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
                for (name, readings) in savedReadings { supervisor.services[name]?.readings = readings }
                supervisor.crashed(service, error)
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
                refusal = .invalidModule(ModuleRefusal(.instantiation, "\(error)"))
            }
            undo(migrated + [(service, old, next, timer)], manifest: manifest)
            for (name, readings) in savedReadings { supervisor.services[name]?.readings = readings }
            supervisor.note(.error, "swap to \(manifest.name) \(manifest.version) abandoned: \(refusal)", service: service.name)
            return .failure(refusal)
        }
        // The instances on probation from an earlier swap are freed by the worker, off the
        // loop: the handoff is their only holder.
        let retired = Handoff(migrated.compactMap(\.service.previous))
        for entry in migrated {
            guard let running = entry.service.running else { continue }
            running.instance = entry.new
            running.loggedHealth = .healthy
            running.probation = Probation(previous: entry.old, until: supervisor.now + AgentHandle.probationNanoseconds, timerBeforeSwap: entry.timer)
            supervisor.updateTimer(entry.service)
        }
        let pause = supervisor.now - started
        supervisor.standbyWorker.submit { withExtendedLifetime(retired) {} }
        supervisor.catalog[manifest.name] = artifact
        // Stored and recorded by the store writer, in order with any rollback's revert.
        let receipt = StoreReceipt()
        let (store, builtIn, limit) = (supervisor.store, plan.builtIn, supervisor.engine.limits.moduleBytes + 1)
        supervisor.storeWriter.submit {
            do {
                try AgentHandle.store(bytes, manifest, builtIn: builtIn, freshStateIfRefused: freshStateIfRefused, in: store, limit: limit)
                receipt.finish(problem: nil)
            } catch {
                receipt.finish(problem: "\(error)")
            }
        }
        let serial = supervisor.probations.swapped(manifest.name)
        let report = SwapReport(
            module: manifest.name, from: currentArtifact?.manifest.version.description ?? "?", to: manifest.version.description,
            services: migrated.map(\.service.name), pauseNanoseconds: pause, loopNanoseconds: supervisor.now - held, stateMigrated: stateMigrated,
            storageProblem: nil, serial: serial)
        // A `failing` report the new version made in code_change counts at once, on probation.
        for entry in migrated {
            guard let running = entry.service.running, running.instance === entry.new, running.instance.health != running.loggedHealth else { continue }
            _ = supervisor.noticeHealth(entry.service, running, event: "code_change")
        }
        // Standbys of the new version, made off the loop thread.
        let standbys = WarmStandby(supervisor: supervisor)
        for entry in migrated { standbys.prepareLater(for: entry.service) }
        return .success((report, receipt))
    }

    /// On probation, the new version of `service`'s module failed early (`crash`): every
    /// service of the module goes back to its old instance, kept intact, so the module runs
    /// one version everywhere; the store writer reverts the record and notes why.
    func rollBack(_ service: Service, after crash: ServiceCrash, to previous: ModuleInstance) {
        let module = service.config.module
        supervisor.note(.error, "\(crash); rolling back to \(previous.manifest.name) \(previous.manifest.version)", service: service.name)
        supervisor.probations.rolledBack(module, to: previous.manifest.version.description, reason: crash.description)
        // First: the standbys renewed below must be of the version running again.
        supervisor.catalog[module] = previous.artifact
        for other in supervisor.services.values where other.config.module == module {
            guard let running = other.running, let probation = running.probation else { continue }
            let old = probation.previous
            running.probation = nil
            running.instance = old
            running.loggedHealth = old.health
            // What the rolled-back version published goes with it.
            other.readings = [:]
            do {
                try running.resources.adopt(old.manifest, parameters: supervisor.parameterValues(other.name, old.manifest))
            } catch {
                supervisor.note(.error, "cannot hand the resources back to \(old.manifest.version): \(error)", service: other.name)
            }
            running.resources.restoreTimer(milliseconds: probation.timerBeforeSwap)
            supervisor.updateTimer(other)
            WarmStandby(supervisor: supervisor).prepareLater(for: other)
        }
        let (handle, version, name) = (supervisor.handle, previous.manifest.version, service.name)
        let store = handle.store
        let given = (SemanticVersion(crash.version), "on probation: \(crash)")
        supervisor.storeWriter.submit {
            do {
                try store.revert(module, to: version)
                if let left = given.0 { try store.record(.rolledBack(left, reason: given.1), of: module) }
                try store.record(.activated(version), of: module)
            } catch {
                handle.note(.warning, "rolled back, but could not record it: \(error)", service: name)
            }
        }
    }

    /// Puts back the old manifest and timer of supervisor.services whose swap did not complete.
    private func undo(_ entries: [(service: Service, old: ModuleInstance, new: ModuleInstance, timer: Int)], manifest: ModuleManifest) {
        for entry in entries {
            guard let resources = entry.service.resources else { continue }
            do {
                try resources.adopt(entry.old.manifest, parameters: supervisor.parameterValues(entry.service.name, entry.old.manifest))
            } catch {
                supervisor.note(.error, "cannot hand the resources back to \(entry.old.manifest.version): \(error)", service: entry.service.name)
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
                let fresh = try? ModuleInstance(artifact: artifact, resources: resources, engine: supervisor.engine)
            else { throw error }
            try fresh.start()
            return (fresh, false)
        }
    }
}
