import Hardware
import ModuleHost
import ModuleRuntime

/// One supervised service: its config, its state, and (while running) its module instance
/// and resources. Touched only on the agent's loop thread.
final class Service {
    let config: AgentConfig.Service
    var state: ServiceState = .stopped(reason: "not started")
    var instance: ModuleInstance?
    var resources: ServiceResources?
    /// The instance replaced by a hot swap, kept intact during the probation.
    var previous: ModuleInstance?
    var probationUntil: UInt64 = 0
    /// The timer period the old version had, restored if the swap is undone.
    var timerBeforeSwap: Int?
    /// Bumped at every (re)start so events from an older instance's watchers are dropped.
    var generation = 0
    var nextTick: UInt64?
    var tickPeriod: UInt64 = 0
    var watchers: [EdgeWatcher] = []
    var readings: [String: Double] = [:]
    var restarts = 0
    var lastCrash: String?
    /// The health last logged for the running instance (changes are logged once).
    var loggedHealth = HealthReport.healthy
    var edgeLatency = EdgeLatency()
    /// The loop time its events took lately.
    var loopShare = LoopShare()
    /// A fresh, unbound instance of the current module version, for the next restart.
    var standby: ModuleInstance?
    /// Set while the standby worker instantiates one for this service.
    var standbyPending = false

    init(config: AgentConfig.Service) {
        self.config = config
    }

    var name: String { config.name }
}
