import ModuleRuntime

/// The warm standby of a service: a fresh, unbound instance of its module's current
/// version, made on the standby worker (off the loop thread) and waiting for the next
/// restart, which then skips instantiation. Made for one step, on the loop thread.
struct WarmStandby {
    let supervisor: Supervisor

    /// The service's standby, taken, if it is a fresh instance of `artifact`.
    func take(from service: Service, of artifact: ModuleArtifact) -> ModuleInstance? {
        guard let standby = service.standby, Self.isInstance(standby, of: artifact) else { return nil }
        service.standby = nil
        return standby
    }

    /// Has the service's standby instantiated on the standby worker; it is kept only if the
    /// service still wants one of the same artifact when it is ready.
    func prepareLater(for service: Service) {
        guard service.config.standby, service.config.restart != .temporary, !service.standbyPending,
            service.state.isRunning, let artifact = supervisor.catalog[service.config.module]
        else { return }
        if let standby = service.standby, Self.isInstance(standby, of: artifact) { return }
        service.standby = nil
        service.standbyPending = true
        let (name, engine, handle) = (service.name, supervisor.engine, supervisor.handle)
        supervisor.standbyWorker.submit {
            let made = Result { () throws(ModuleRefusal) -> ModuleInstance in try ModuleInstance(standbyFor: artifact, engine: engine) }
            let handoff = Handoff(made)
            handle.post(.control { WarmStandby(supervisor: $0).made(handoff.value, for: name, of: artifact) })
        }
    }

    private func made(_ made: Result<ModuleInstance, ModuleRefusal>, for name: String, of artifact: ModuleArtifact) {
        guard let service = supervisor.services[name] else { return }
        service.standbyPending = false
        switch made {
        case .success(let instance):
            // Made for a version that has since been swapped out, or a service since stopped: try again or drop it.
            guard service.state.isRunning || service.state.isRestarting else { return }
            guard supervisor.catalog[service.config.module]?.serial == artifact.serial else { return prepareLater(for: service) }
            service.standby = instance
        case .failure(let refusal):
            supervisor.note(.warning, "no warm standby (restarts instantiate from scratch): \(refusal)", service: name)
        }
    }

    private static func isInstance(_ instance: ModuleInstance, of artifact: ModuleArtifact) -> Bool {
        instance.artifact.serial == artifact.serial && !instance.isBound
    }
}
