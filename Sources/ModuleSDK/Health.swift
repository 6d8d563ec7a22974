/// How a service says it is doing (`Host.reportHealth`). The same values as the ABI's
/// `Health` (`ModuleABI.Health` on the host side; a test keeps the two identical).
public enum Health: Int32 {
    /// Doing its job; what every service is until it reports otherwise.
    case healthy = 0
    /// Working, but not fully: shown in `services` and `status`, never rolled back for.
    case degraded = 1
    /// Cannot do its job: fails a new version's probation and a firmware's trial boot.
    case failing = 2
}
