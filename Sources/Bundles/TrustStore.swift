import Crypto
import Platform

/// The public keys whose bundles this board runs: every `*.pub` in the trusted-keys
/// folder (several at once, so a new key can be added before the old one is removed).
public struct TrustStore: Sendable {
    private let keys: [String: Curve25519.Signing.PublicKey]
    /// Files that were not valid keys, with why (reported at start, never trusted).
    public let problems: [String]

    public var ids: [String] { keys.keys.sorted() }

    public init(keys: [Curve25519.Signing.PublicKey]) {
        self.keys = Dictionary(keys.map { (SigningKeys.id(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        problems = []
    }

    /// Loads `folder/*.pub`; a missing folder is an empty store.
    public init(folder: String) {
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        var problems: [String] = []
        for file in FileSystem.list(folder) where file.hasSuffix(".pub") {
            let path = folder + "/" + file
            do {
                let text = String(decoding: try FileSystem.read(path, limit: 4096), as: UTF8.self)
                let key = try SigningKeys.parsePublic(text, file: path)
                keys[SigningKeys.id(of: key)] = key
            } catch {
                problems.append("\(error)")
            }
        }
        self.keys = keys
        self.problems = problems
    }

    public func key(id: String) -> Curve25519.Signing.PublicKey? { keys[id] }
}
