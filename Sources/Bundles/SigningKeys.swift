import Crypto

/// Ed25519 keys for signing bundles, in Midflight's text formats:
/// public `midflight-ed25519 BASE64 [comment]`, private `midflight-ed25519-private BASE64`.
public enum SigningKeys {
    public static let publicPrefix = "midflight-ed25519"
    public static let privatePrefix = "midflight-ed25519-private"

    /// A key file that is not one of ours, with why.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The key id: the first 8 bytes of SHA-256 of the raw public key, in hex.
    public static func id(of key: Curve25519.Signing.PublicKey) -> String {
        SHA256.hash(data: Array(key.rawRepresentation)).prefix(8).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    public static func publicText(_ key: Curve25519.Signing.PublicKey, comment: String) -> String {
        "\(publicPrefix) \(Base64.encode(Array(key.rawRepresentation))) \(comment)\n"
    }

    public static func privateText(_ key: Curve25519.Signing.PrivateKey) -> String {
        "\(privatePrefix) \(Base64.encode(Array(key.rawRepresentation)))\n"
    }

    public static func parsePublic(_ text: String, file: String) throws(Problem) -> Curve25519.Signing.PublicKey {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        guard fields.count >= 2, fields[0] == publicPrefix else {
            throw Problem(description: "\(file): not a Midflight public key (expected '\(publicPrefix) BASE64 [comment]')")
        }
        guard let raw = Base64.decode(fields[1]), raw.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw Problem(description: "\(file): the key is not 32 bytes of valid base64")
        }
        return key
    }

    public static func parsePrivate(_ text: String, file: String) throws(Problem) -> Curve25519.Signing.PrivateKey {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        guard fields.count == 2, fields[0] == privatePrefix, let raw = Base64.decode(fields[1]), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw Problem(description: "\(file): not a Midflight private key (expected '\(privatePrefix) BASE64')")
        }
        return key
    }
}
