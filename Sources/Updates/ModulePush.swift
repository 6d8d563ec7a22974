import Agent
import Bundles
import Synchronization

/// A signed module bundle, pushed (`module push`, `ssh -s DEVICE module-push`, `midflight
/// push`): verified against the trusted keys first, then swapped in by the agent. Owns the
/// trust store for modules (replaced on SIGHUP). Call it off the agent's loop thread: the
/// swap holds the loop only for its switch; `handle.awaitProbation` then waits for the verdict.
public final class ModulePush: Sendable {
    public let handle: AgentHandle
    private let trusted: Mutex<TrustStore>

    public init(handle: AgentHandle, trustedKeys: TrustStore) {
        self.handle = handle
        trusted = Mutex(trustedKeys)
    }

    /// Keys whose signed bundles may be pushed.
    public var trustedKeys: TrustStore { trusted.withLock { $0 } }

    /// Trusts `keys` from now on (a SIGHUP re-read the trusted-keys folder).
    public func replaceTrustedKeys(_ keys: TrustStore) {
        trusted.withLock { $0 = keys }
    }

    /// `module-push`: a signed bundle, verified (signature against the trusted keys first),
    /// then swapped in like `module load` (off the loop thread too).
    public func push(_ bundle: [UInt8], allowDowngrade: Bool) throws(PushRefusal) -> SwapReport {
        let contents: ModuleBundle.Contents
        do {
            contents = try ModuleBundle.verify(bundle, trusted: trustedKeys)
        } catch {
            handle.note(.warning, "refused a pushed bundle: \(error)")
            throw .bundle(error)
        }
        if allowDowngrade { handle.note(.warning, "downgrade allowed for \(contents.manifest.name) \(contents.manifest.version) (key \(contents.keyID))") }
        do {
            // An explicit downgrade to a version that cannot read the newer state starts it fresh, as a rollback does.
            return try handle.swap(
                to: contents.wasm, source: "bundle signed by \(contents.keyID)", allowDowngrade: allowDowngrade,
                freshStateIfRefused: allowDowngrade)
        } catch {
            handle.note(.warning, "refused a pushed bundle: \(error)")
            throw .swap(error)
        }
    }
}

/// Why a pushed bundle was not swapped in: the bundle itself (signature, trust, format),
/// or the swap it asked for.
public enum PushRefusal: Error, Sendable, CustomStringConvertible {
    case bundle(ModuleBundle.Refusal)
    case swap(SwapRefusal)

    public var description: String {
        switch self {
        case .bundle(let refusal): return refusal.description
        case .swap(let refusal): return refusal.description
        }
    }
}
