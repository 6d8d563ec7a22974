/// What the supervision tree decides when a service exits; the agent carries it out.
public enum SupervisionAction: Hashable, Sendable {
    /// Stop these running services, in this order (reverse start order).
    case stop([String])
    /// Start these services, in this order, after `delayNanoseconds` (backoff).
    case start([String], delayNanoseconds: UInt64)
    /// The service stays down: it is temporary, or a transient one exited normally.
    case leaveStopped(String)
    /// Restart intensity exceeded at the top: the service is marked failed and not
    /// restarted; every other service keeps running.
    case fail(String, reason: String)
}

/// OTP supervision as a pure state machine: one_for_one / one_for_all / rest_for_one,
/// permanent / transient / temporary, restart intensity with escalation to the parent
/// supervisor and, at the top, a failed service instead of a dead agent. No I/O: the
/// agent feeds it exits and clock readings and performs the actions it returns.
public struct SupervisorMachine: Sendable {
    public let root: SupervisorSpec
    /// Restart times per supervisor name, newest last.
    private var restarts: [String: [UInt64]] = [:]

    /// The first restart of a burst is immediate; each further one within the period waits
    /// twice as long, from `backoffBase` up to `backoffLimit`.
    public var backoffBase: UInt64 = 100_000_000
    public var backoffLimit: UInt64 = 5_000_000_000

    public init(root: SupervisorSpec) {
        self.root = root
    }

    /// Service `name` exited at `now`, after a crash (`abnormal`) or by itself.
    public mutating func exited(_ name: String, abnormal: Bool, at now: UInt64) -> [SupervisionAction] {
        guard let path = SupervisorMachine.path(to: name, in: root) else { return [] }
        guard case .service(_, let restart) = path.child else { return [] }
        switch restart {
        case .temporary:
            return [.leaveStopped(name)]
        case .transient where !abnormal:
            return [.leaveStopped(name)]
        default:
            return restartChild(.service(name: name, restart: restart), under: path.parents, at: now, origin: name)
        }
    }

    /// Applies the supervisor's strategy for a child that went down, or gives up.
    private mutating func restartChild(
        _ child: SupervisorSpec.Child, under parents: [SupervisorSpec], at now: UInt64, origin: String
    ) -> [SupervisionAction] {
        guard let supervisor = parents.last else { return [] }
        var times = restarts[supervisor.name, default: []].filter { now < $0 + supervisor.periodNanoseconds && $0 <= now }
        times.append(now)
        restarts[supervisor.name] = times
        if times.count > supervisor.intensity {
            restarts[supervisor.name] = []
            let seconds = Double(supervisor.periodNanoseconds) / 1e9
            let reason = "restart intensity exceeded: more than \(supervisor.intensity) restarts in \(seconds) s"
            guard parents.count > 1 else {
                // At the top there is no one to escalate to: the service that keeps crashing
                // is given up on, and everything else keeps running — including the siblings
                // an escalating subtree stopped on its way up, which come back.
                let others = services(of: child).filter { $0 != origin }
                return [.fail(origin, reason: "\(reason) (supervisor \(supervisor.name))")]
                    + (others.isEmpty ? [] : [.start(others, delayNanoseconds: 0)])
            }
            // Escalate: this supervisor stops all its children and exits; its parent
            // restarts it (the whole subtree) under the parent's own strategy and intensity.
            var actions: [SupervisionAction] = [.stop(supervisor.services.filter { $0 != originService(child) }.reversed())]
            actions += restartChild(.supervisor(supervisor), under: Array(parents.dropLast()), at: now, origin: origin)
            return actions
        }
        let delay = times.count <= 1 ? 0 : min(backoffBase << UInt64(min(times.count - 2, 20)), backoffLimit)
        let siblings = supervisor.children
        guard let index = siblings.firstIndex(of: child) else { return [] }
        let own = services(of: child)
        switch supervisor.strategy {
        case .oneForOne:
            return [.start(own, delayNanoseconds: delay)]
        case .oneForAll:
            let others = siblings.enumerated().filter { $0.offset != index }.flatMap { services(of: $0.element) }
            return [.stop(others.reversed()), .start(supervisor.services, delayNanoseconds: delay)]
        case .restForOne:
            let later = siblings[(index + 1)...].flatMap { services(of: $0) }
            return [.stop(later.reversed()), .start(own + later, delayNanoseconds: delay)]
        }
    }

    private func services(of child: SupervisorSpec.Child) -> [String] {
        switch child {
        case .service(let name, _): return [name]
        case .supervisor(let spec): return spec.services
        }
    }

    private func originService(_ child: SupervisorSpec.Child) -> String? {
        if case .service(let name, _) = child { return name }
        return nil
    }

    /// The chain of supervisors from the root down to the one holding `name`, and its child entry.
    static func path(to name: String, in spec: SupervisorSpec) -> (parents: [SupervisorSpec], child: SupervisorSpec.Child)? {
        for child in spec.children {
            switch child {
            case .service(let serviceName, _) where serviceName == name:
                return ([spec], child)
            case .supervisor(let nested):
                if let found = path(to: name, in: nested) {
                    return ([spec] + found.parents, found.child)
                }
            default:
                continue
            }
        }
        return nil
    }
}
