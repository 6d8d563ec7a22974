/// A trial boot's health gate, from the agent config's `firmware` section: how long the
/// services must be healthy, how long to wait for that, and whether to validate by itself.
public struct TrialSettings: Hashable, Sendable {
    public var healthWindowSeconds: Double
    public var validationDeadlineSeconds: Double
    public var autoValidate: Bool

    public init(healthWindowSeconds: Double = 30, validationDeadlineSeconds: Double = 300, autoValidate: Bool = true) {
        self.healthWindowSeconds = healthWindowSeconds
        self.validationDeadlineSeconds = validationDeadlineSeconds
        self.autoValidate = autoValidate
    }
}
