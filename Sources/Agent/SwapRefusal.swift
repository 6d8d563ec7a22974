import Manifests
import ModuleHost
import ModuleRuntime
import Platform

/// Why a hot swap (a load, a push, a rollback) did not happen; the running version is
/// untouched. Each case carries what a caller may act on; `description` is the line
/// people read.
public enum SwapRefusal: Error, Sendable, CustomStringConvertible {
    /// The bytes are not a module this agent runs.
    case invalidModule(ModuleRefusal)
    /// `module load NAME FILE` with a file that holds another module.
    case otherModule(source: String, holds: String, expected: String)
    /// No service of the agent config runs the module.
    case noService(module: String)
    /// Not newer than what runs, and no downgrade was asked for.
    case notNewer(module: String, version: SemanticVersion, running: SemanticVersion)
    /// The new version asks for other hardware than the service holds.
    case notAdoptable(ServiceResources.Refusal)
    /// The running version crashed handing its state over (supervision takes it from there).
    case handOverCrashed(ServiceCrash)
    /// The new version refused or crashed in `code_change`; `keeps` still runs.
    case migrationFailed(ServiceCrash, keeps: String)
    /// The agent is stopping.
    case stopping(module: String)
    /// A rollback asked for while the module's history is still being written.
    case historyUnsettled(module: String, problem: String)
    case noEarlierVersion(module: String)
    case notStored(module: String, version: SemanticVersion)
    case unreadable(FileSystem.Failure)

    public var description: String {
        switch self {
        case .invalidModule(let refusal): return refusal.description
        case .otherModule(let source, let holds, let expected): return "\(source) holds module \(holds), not \(expected)"
        case .noService(let module): return "no service runs module \(module)"
        case .notNewer(let module, let version, let running):
            return "\(module) \(version) is not newer than the running \(running) (a downgrade needs --allow-downgrade)"
        case .notAdoptable(let refusal): return refusal.message
        case .handOverCrashed(let crash): return "\(crash) while handing over its state; the swap was abandoned"
        case .migrationFailed(let crash, let keeps): return "\(crash); \(keeps) keeps running"
        case .stopping(let module): return "the agent is stopping; \(module) was not swapped"
        case .historyUnsettled(let module, let problem): return "\(module)'s history is not settled yet (\(problem)); try again"
        case .noEarlierVersion(let module): return "\(module) has no earlier version to roll back to"
        case .notStored(let module, let version): return "\(module) \(version) is no longer stored"
        case .unreadable(let failure): return failure.description
        }
    }
}
