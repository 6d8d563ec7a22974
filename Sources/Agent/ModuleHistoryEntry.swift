import Manifests

/// One version in `module history`: what became of it.
public struct ModuleHistoryEntry: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable, CustomStringConvertible {
        /// It runs now.
        case active
        /// Given up on: on probation (the crash or failing report), or by `module rollback`.
        case rolledBack(reason: String)
        /// A newer swap replaced it (by which, when the journal says).
        case replaced(by: SemanticVersion?)

        /// `active`, `rolled-back`, `replaced`: the word a script matches on.
        public var word: String {
            switch self {
            case .active: return "active"
            case .rolledBack: return "rolled-back"
            case .replaced: return "replaced"
            }
        }

        public var description: String {
            switch self {
            case .active: return "active"
            case .rolledBack(let reason): return reason.isEmpty ? "rolled back" : "rolled back: \(reason)"
            case .replaced(let next): return next.map { "replaced by \($0)" } ?? "replaced"
            }
        }
    }

    public let version: SemanticVersion
    public let outcome: Outcome
    /// The version is the one built into the firmware (none was pushed yet).
    public var builtIn = false

    public init(version: SemanticVersion, outcome: Outcome, builtIn: Bool = false) {
        self.version = version
        self.outcome = outcome
        self.builtIn = builtIn
    }

    /// The console's lines: `VERSION  OUTCOME`, versions padded to one width.
    public static func lines(_ entries: [ModuleHistoryEntry]) -> [String] {
        let width = entries.map(\.version.description.count).max() ?? 0
        return entries.map { entry in
            let version = entry.version.description
            let padded = version + String(repeating: " ", count: width - version.count)
            return "\(padded)  \(entry.outcome.description)\(entry.builtIn ? " (built in)" : "")"
        }
    }
}
