import ModuleHost
import ModuleRuntime

/// Where a service is in its life. Transitions happen on the agent's loop thread only; what
/// a running service holds exists only in `running`, so no code can find an instance on a
/// stopped service or a stopped service with hardware.
enum ServiceState: CustomStringConvertible {
    case stopped(reason: String)
    case running(Running)
    /// Waiting for its backoff before the supervisor restarts it.
    case restarting(atNanoseconds: UInt64)
    /// Given up on (restart intensity exceeded, or it cannot start); `start` tries again.
    case failed(reason: String)

    var description: String {
        switch self {
        case .stopped: return "stopped"
        case .running: return "running"
        case .restarting: return "restarting"
        case .failed: return "failed"
        }
    }

    var running: Running? {
        if case .running(let running) = self { return running }
        return nil
    }

    var isRunning: Bool { running != nil }

    var isRestarting: Bool {
        if case .restarting = self { return true }
        return false
    }
}

/// What a running service holds: its instance and hardware, its edge watchers, its timer,
/// and while a hot swap is on probation, the version before.
final class Running {
    var instance: ModuleInstance
    let resources: ServiceResources
    var watchers: [EdgeWatcher] = []
    var probation: Probation?
    var nextTick: UInt64?
    var tickPeriod: UInt64 = 0
    /// The health last logged for the instance (changes are logged once).
    var loggedHealth: HealthReport

    init(instance: ModuleInstance, resources: ServiceResources) {
        self.instance = instance
        self.resources = resources
        loggedHealth = instance.health
    }
}

/// A hot swap's probation: the instance it replaced, kept intact until `until`, and the
/// timer period it had, both given back if the new version fails.
struct Probation {
    let previous: ModuleInstance
    let until: UInt64
    let timerBeforeSwap: Int
}
