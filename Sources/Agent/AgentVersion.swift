import Manifests

/// This agent's version: what `midflightd --version` says and what a firmware bundle's
/// `minimumAgentVersion` is compared with.
public enum AgentVersion {
    public static let current = SemanticVersion(0, 2, 0)
}
