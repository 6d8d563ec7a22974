import ModuleHost

/// Where an instance's host calls go: a warm standby is instantiated before it has a
/// service's resources and is bound to them when it takes over.
final class ResourceBinding {
    var resources: ServiceResources?
    /// When the event in progress must end (monotonic nanoseconds), checked at every host
    /// call: fuel bounds the guest's own instructions, this bounds time spent in the host.
    var deadline: UInt64 = .max
    /// What the instance last reported about itself: the instance's, not the service's, so
    /// an old version kept on probation keeps its own.
    var health = HealthReport.healthy
    /// The last error line the module logged during the event in progress: the reason it
    /// gives (`Host.fail`) when it then traps.
    var lastWords: String?

    init(_ resources: ServiceResources?) {
        self.resources = resources
    }

    /// Thrown by a host call made after the event's deadline.
    struct OverBudget: Error {
        let budgetNanoseconds: UInt64
    }
}
