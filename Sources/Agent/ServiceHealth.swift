import ModuleHost

/// One look at the permanent services, for the firmware health gate.
public struct ServiceHealth: Hashable, Sendable {
    /// Every permanent service running and none reporting itself failing.
    public let allHealthy: Bool
    /// Restarts of permanent services so far; a change between two looks is a crash.
    public let restarts: Int
    /// The first permanent service that is not healthy, and why, when one is not.
    public let problem: String?
}

extension ServiceHealth {
    /// The permanent services' health in `supervisor` (transient and temporary ones may end
    /// on purpose), looked at on its loop thread. Healthy means running and not reporting
    /// `failing`; a `degraded` service is healthy to the gate (it works, not fully), and
    /// says so in `services` and `status`.
    public init(permanentServicesOf supervisor: Supervisor) {
        var restarts = 0
        var problem: String?
        for name in supervisor.config.serviceOrder {
            guard let service = supervisor.services[name], service.config.restart == .permanent else { continue }
            restarts += service.restarts
            guard problem == nil else { continue }
            if !service.state.isRunning {
                var text = "\(name) is \(service.state)"
                if case .failed(let reason) = service.state { text += ": \(reason)" }
                problem = text
            } else if let health = service.instance?.health, health.isFailing {
                problem = "\(name) is \(health)"
            }
        }
        self.init(allHealthy: problem == nil, restarts: restarts, problem: problem)
    }
}
