import ModuleABI

/// A module instance failed while handling an event: it trapped, ran out of fuel, or
/// returned a failure. The instance is unusable afterwards; only its service is affected.
public struct ServiceCrash: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A wasm trap: unreachable, out-of-bounds access, stack exhausted, divide by zero…
        case trap
        /// The per-event instruction budget ran out (an endless loop).
        case outOfFuel = "out of fuel"
        /// An export returned a non-zero status.
        case failed
        /// On probation after a swap, the new version reported itself failing
        /// (`health_report`): not a crash of the instance, but a reason to go back.
        case unhealthy = "reported failing"
    }

    public let module: String
    public let version: String
    public let event: String
    public let kind: Kind
    public let reason: String
    /// The status an export returned, when that was the failure (`kind` is `.failed`).
    public let status: ModuleABI.Status?

    public init(module: String, version: String, event: String, kind: Kind, reason: String, status: ModuleABI.Status? = nil) {
        self.module = module
        self.version = version
        self.event = event
        self.kind = kind
        self.reason = reason
        self.status = status
    }

    public var description: String {
        kind == .unhealthy ? "\(module) \(version) reported failing after \(event): \(reason)" : "\(module) \(version) crashed in \(event): \(reason)"
    }
}
