/// Where a service is in its life. Transitions happen on the agent's loop thread only.
public enum ServiceState: Hashable, Sendable, CustomStringConvertible {
    case stopped(reason: String)
    case running
    /// Waiting for its backoff before the supervisor restarts it.
    case restarting(atNanoseconds: UInt64)
    /// Given up on (restart intensity exceeded, or it cannot start); `start` tries again.
    case failed(reason: String)

    public var description: String {
        switch self {
        case .stopped: return "stopped"
        case .running: return "running"
        case .restarting: return "restarting"
        case .failed: return "failed"
        }
    }

    public var isRunning: Bool { self == .running }

    public var isRestarting: Bool {
        if case .restarting = self { return true }
        return false
    }
}
