import Bundles
import Crypto
import NIOSSH

/// The client keys that may log in, from an OpenSSH `authorized_keys` file. Options in
/// front of a key (`from="…",no-pty ssh-ed25519 …`) are skipped, comments and blank lines
/// ignored; key types the server cannot check (RSA, DSA, security keys) are reported.
public struct AuthorizedKeys: Sendable {
    public static let supportedTypes: Set<String> = ["ssh-ed25519", "ecdsa-sha2-nistp256"]
    static let knownTypes: Set<String> = supportedTypes.union([
        "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ])

    public let keys: Set<NIOSSHPublicKey>
    /// One line per entry that was not accepted, with its line number and why.
    public let problems: [String]

    public init(text: String, file: String) {
        var keys: Set<NIOSSHPublicKey> = []
        var problems: [String] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters()
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let typeIndex = fields.firstIndex(where: { AuthorizedKeys.knownTypes.contains($0) }), typeIndex + 1 < fields.count else {
                problems.append("\(file):\(index + 1): no key type this server knows")
                continue
            }
            let type = fields[typeIndex]
            guard AuthorizedKeys.supportedTypes.contains(type) else {
                problems.append("\(file):\(index + 1): \(type) keys are not supported; use ssh-ed25519 or ecdsa-sha2-nistp256 (ssh-keygen -t ed25519)")
                continue
            }
            do {
                keys.insert(try NIOSSHPublicKey(openSSHPublicKey: "\(type) \(fields[typeIndex + 1])"))
            } catch {
                problems.append("\(file):\(index + 1): the \(type) key does not parse")
            }
        }
        self.keys = keys
        self.problems = problems
    }

    /// `SHA256:…` as `ssh-keygen -l` prints it: the unpadded base64 of the key blob's SHA-256.
    public static func fingerprint(_ key: NIOSSHPublicKey) -> String {
        fingerprint(openSSH: String(openSSHPublicKey: key)) ?? "?"
    }

    /// The fingerprint of a key in OpenSSH's `TYPE BASE64 [comment]` text.
    public static func fingerprint(openSSH text: String) -> String? {
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let blob = Base64.decode(String(fields[1])) else { return nil }
        var encoded = Base64.encode(Array(SHA256.hash(data: blob)))
        while encoded.last == "=" { encoded.removeLast() }
        return "SHA256:" + encoded
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var text = self
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
