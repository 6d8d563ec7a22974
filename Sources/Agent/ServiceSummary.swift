import Manifests
import ModuleHost

/// What the console shows about a service.
public struct ServiceSummary: Sendable {
    public let name: String
    public let module: String
    public let version: String
    public let state: String
    public let detail: String?
    public let restarts: Int
    public let grants: [String]
    public let readings: [(String, Double)]
    public let lastCrash: String?
    public let timerMilliseconds: Int
    /// Edge timestamp (the kernel's, on Linux) → handler done, over the last edges; nil before the first.
    public let edgeLatency: EdgeLatency.Summary?
    /// The version of the warm standby instance waiting for the next restart, if one is ready.
    public let standby: String?
    /// What the running instance reports about itself; nil when the service is not running.
    public let health: HealthReport?
}

/// One parameter as the console shows it.
public struct ParameterSummary: Sendable {
    public let parameter: ModuleParameter
    public let value: Double
}
