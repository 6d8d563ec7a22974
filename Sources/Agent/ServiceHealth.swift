/// One look at the permanent services, for the firmware health gate.
public struct ServiceHealth: Hashable, Sendable {
    /// Every permanent service running.
    public let allRunning: Bool
    /// Restarts of permanent services so far; a change between two looks is a crash.
    public let restarts: Int
    /// The first service that is not running, with its state, when one is not.
    public let problem: String?
}

extension AgentRuntime {
    /// The permanent services' health (transient and temporary ones may end on purpose).
    public func permanentServiceHealth() -> ServiceHealth {
        var restarts = 0
        var problem: String?
        for name in config.serviceOrder {
            guard let service = services[name], service.config.restart == .permanent else { continue }
            restarts += service.restarts
            if problem == nil, !service.state.isRunning {
                var text = "\(name) is \(service.state)"
                if case .failed(let reason) = service.state { text += ": \(reason)" }
                problem = text
            }
        }
        return ServiceHealth(allRunning: problem == nil, restarts: restarts, problem: problem)
    }
}
