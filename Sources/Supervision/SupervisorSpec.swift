/// OTP's restart strategies.
public enum RestartStrategy: String, Hashable, Sendable, CaseIterable {
    /// Restart only the child that exited.
    case oneForOne = "one_for_one"
    /// Stop every other child and restart them all.
    case oneForAll = "one_for_all"
    /// Stop the children started after the one that exited, and restart it and them.
    case restForOne = "rest_for_one"
}

/// OTP's restart types.
public enum RestartType: String, Hashable, Sendable, CaseIterable {
    /// Always restarted.
    case permanent
    /// Restarted only after an abnormal exit (a crash).
    case transient
    /// Never restarted.
    case temporary
}

/// A supervisor: how it restarts, how often it may, and its children in start order.
public struct SupervisorSpec: Hashable, Sendable {
    public indirect enum Child: Hashable, Sendable {
        case service(name: String, restart: RestartType)
        case supervisor(SupervisorSpec)
    }

    public var name: String
    public var strategy: RestartStrategy
    /// At most this many restarts within `periodNanoseconds`; one more and the supervisor gives up.
    public var intensity: Int
    public var periodNanoseconds: UInt64
    public var children: [Child]

    public init(name: String, strategy: RestartStrategy, intensity: Int, periodNanoseconds: UInt64, children: [Child]) {
        self.name = name
        self.strategy = strategy
        self.intensity = intensity
        self.periodNanoseconds = periodNanoseconds
        self.children = children
    }

    /// Every service under this supervisor, in start order.
    public var services: [String] {
        children.flatMap { child -> [String] in
            switch child {
            case .service(let name, _): return [name]
            case .supervisor(let spec): return spec.services
            }
        }
    }
}
