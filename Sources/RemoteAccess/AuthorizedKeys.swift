import Bundles
import Crypto
import NIOSSH

/// The client keys that may log in, from an OpenSSH `authorized_keys` file, with the
/// options in front of each key enforced as sshd does: `from="pattern-list"` (addresses,
/// `*`/`?` wildcards, CIDR, `!` negation), `restrict` and `no-pty` / `pty`. Options that only
/// forbid what this server never offers (forwarding, X11, agent, user rc) are accepted. A
/// key with an option the server does not implement (`command=`, `expiry-time=`, …) is
/// refused at load and reported: never silently accepted with less protection than the
/// operator wrote. Key types the server cannot check (RSA, DSA, security keys) are reported.
public struct AuthorizedKeys: Sendable {
    public static let supportedTypes: Set<String> = ["ssh-ed25519", "ecdsa-sha2-nistp256"]
    static let knownTypes: Set<String> = supportedTypes.union([
        "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ])
    /// Options satisfied by a server that forwards nothing.
    static let satisfiedOptions: Set<String> = [
        "no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc", "port-forwarding", "agent-forwarding",
        "x11-forwarding", "user-rc",
    ]

    /// What one key may do.
    public struct Entry: Sendable {
        /// `from=` patterns; nil: any address.
        public let from: [String]?
        /// Whether a terminal may be allocated (`no-pty`, or `restrict` without `pty`, forbid it).
        public let allowsPty: Bool
    }

    public let entries: [NIOSSHPublicKey: Entry]
    public var keys: Set<NIOSSHPublicKey> { Set(entries.keys) }
    /// One line per entry that was not accepted, with its line number and why.
    public let problems: [String]

    public init(text: String, file: String) {
        var entries: [NIOSSHPublicKey: Entry] = [:]
        var problems: [String] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters()
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let place = "\(file):\(index + 1)"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = fields.first else { continue }
            // An options field comes first when the line does not start with a key type.
            let hasOptions = !Self.knownTypes.contains(first)
            let options: [String]
            let rest: [String]
            if hasOptions {
                guard let split = Self.splitOptions(line) else {
                    problems.append("\(place): the options do not parse (an unclosed quote?); key refused")
                    continue
                }
                options = split.options
                rest = split.rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            } else {
                options = []
                rest = fields
            }
            guard rest.count >= 2, Self.knownTypes.contains(rest[0]) else {
                problems.append("\(place): no key type this server knows")
                continue
            }
            let type = rest[0]
            guard Self.supportedTypes.contains(type) else {
                problems.append("\(place): \(type) keys are not supported; use ssh-ed25519 or ecdsa-sha2-nistp256 (ssh-keygen -t ed25519)")
                continue
            }
            let entry: Entry
            switch Self.entry(options) {
            case .success(let parsed): entry = parsed
            case .failure(let problem):
                problems.append("\(place): \(problem.description); key refused")
                continue
            }
            do {
                let key = try NIOSSHPublicKey(openSSHPublicKey: "\(type) \(rest[1])")
                // The first line of a key is the one that holds, as sshd reads them.
                guard entries[key] == nil else {
                    problems.append("\(place): this key is on an earlier line too; that line's options hold")
                    continue
                }
                entries[key] = entry
            } catch {
                problems.append("\(place): the \(type) key does not parse")
            }
        }
        self.entries = entries
        self.problems = problems
    }

    /// Why an options field is not accepted.
    struct OptionProblem: Error, CustomStringConvertible {
        let description: String
    }

    static func entry(_ options: [String]) -> Result<Entry, OptionProblem> {
        var from: [String]?
        var restricted = false
        var pty: Bool?
        for option in options {
            let name = String(option.prefix { $0 != "=" }).lowercased()
            let value = option.contains("=") ? String(option.drop { $0 != "=" }.dropFirst()) : nil
            switch name {
            case "from":
                guard from == nil else { return .failure(OptionProblem(description: "more than one from= (sshd refuses it too)")) }
                guard let value, value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
                    return .failure(OptionProblem(description: "from= needs a quoted pattern list"))
                }
                let patterns = value.dropFirst().dropLast().split(separator: ",").map(String.init)
                guard !patterns.isEmpty, patterns.allSatisfy({ AddressPattern.isValid($0) }) else {
                    return .failure(OptionProblem(description: "from=\(value) has a pattern this server cannot read"))
                }
                from = patterns
            case "restrict": restricted = true
            case "no-pty": pty = false
            case "pty": pty = pty ?? true
            default:
                guard value == nil, satisfiedOptions.contains(name) else {
                    return .failure(OptionProblem(description: "option \(name) is not implemented by this server"))
                }
            }
        }
        return .success(Entry(from: from, allowsPty: pty ?? !restricted))
    }

    /// The options field (comma-separated, values may be quoted and hold spaces and commas)
    /// and the rest of the line.
    static func splitOptions(_ line: String) -> (options: [String], rest: Substring)? {
        var options: [String] = []
        var current = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == "\\", quoted, line.index(after: index) < line.endIndex {
                index = line.index(after: index)
                current.append(line[index])
            } else if !quoted, character == "," {
                options.append(current)
                current = ""
            } else if !quoted, character == " " || character == "\t" {
                break
            } else {
                current.append(character)
            }
            index = line.index(after: index)
        }
        guard !quoted, !current.isEmpty else { return nil }
        options.append(current)
        return (options, line[index...])
    }

    /// Whether `key` may log in from `address`.
    public func allows(_ key: NIOSSHPublicKey, from address: String) -> Bool {
        guard let entry = entries[key] else { return false }
        guard let patterns = entry.from else { return true }
        return AddressPattern.matches(patterns, address: address)
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
