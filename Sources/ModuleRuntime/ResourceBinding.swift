import ModuleHost

/// Where an instance's host calls go: a warm standby is instantiated before it has a
/// service's resources and is bound to them when it takes over.
final class ResourceBinding {
    var resources: ServiceResources?

    init(_ resources: ServiceResources?) {
        self.resources = resources
    }
}
