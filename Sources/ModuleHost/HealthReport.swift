import ModuleABI

/// What a service last said about itself with `health_report` (ABI 2): every instance
/// starts `healthy`; a version-1 module never says otherwise.
public enum HealthReport: Hashable, Sendable, CustomStringConvertible {
    case healthy
    case degraded(reason: String)
    case failing(reason: String)

    /// The report a module's `health_report(health, reason)` makes, or nil for a value the
    /// ABI does not define. The reason is cut at `ModuleABI.healthReasonLimit` bytes.
    public init?(code: Int32, reason: [UInt8]) {
        let text = String(decoding: reason.prefix(ModuleABI.healthReasonLimit), as: UTF8.self)
        switch ModuleABI.Health(rawValue: code) {
        case .healthy?: self = .healthy
        case .degraded?: self = .degraded(reason: text.isEmpty ? "no reason given" : text)
        case .failing?: self = .failing(reason: text.isEmpty ? "no reason given" : text)
        case nil: return nil
        }
    }

    /// `healthy`, `degraded` or `failing`.
    public var word: String {
        switch self {
        case .healthy: return "healthy"
        case .degraded: return "degraded"
        case .failing: return "failing"
        }
    }

    public var reason: String? {
        switch self {
        case .healthy: return nil
        case .degraded(let reason), .failing(let reason): return reason
        }
    }

    public var isFailing: Bool {
        if case .failing = self { return true }
        return false
    }

    public var description: String { reason.map { "\(word): \($0)" } ?? word }
}
