/// How a swapped-in version fared on probation (the window after the switch in which a
/// crash puts the old version back by itself).
public enum ProbationVerdict: Equatable, Sendable {
    /// Still on probation.
    case pending
    /// It ran through its probation (or a later swap replaced it first).
    case passed
    /// It crashed on probation: `version` runs again, and `reason` is the crash.
    case rolledBack(to: String, reason: String)
}
