import Hardware
import ModuleHost
import ModuleRuntime

/// One supervised service: its config, its state, and what outlives one run of it
/// (restarts, last crash, readings, the warm standby). Touched only on the agent's loop thread.
final class Service {
    let config: AgentConfig.Service
    var state: ServiceState = .stopped(reason: "not started")
    /// Bumped at every (re)start and stop so events from an older instance's watchers are dropped.
    var generation = 0
    var readings: [String: Double] = [:]
    var restarts = 0
    var lastCrash: String?
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

    // What a running service holds (nil when it is not running).
    var running: Running? { state.running }
    var instance: ModuleInstance? { state.running?.instance }
    var resources: ServiceResources? { state.running?.resources }
    /// The instance a hot swap replaced, while the swap is on probation.
    var previous: ModuleInstance? { state.running?.probation?.previous }
    var nextTick: UInt64? { state.running?.nextTick }
    var tickPeriod: UInt64 { state.running?.tickPeriod ?? 0 }
}
