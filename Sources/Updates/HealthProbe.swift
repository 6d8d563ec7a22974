import Agent

/// How the firmware side sees the services: one look at the permanent ones, or nil once
/// the agent is stopping (its loop answers no more).
public protocol HealthProbe: Sendable {
    func permanentServiceHealth() -> ServiceHealth?
}

extension AgentHandle: HealthProbe {
    public func permanentServiceHealth() -> ServiceHealth? {
        performIfRunning { ServiceHealth(permanentServicesOf: $0) }
    }
}
