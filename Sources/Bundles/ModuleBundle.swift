import Crypto
import Manifests
import ModuleABI

/// A signed module bundle (`.mfb`): the manifest, the wasm bytes and an Ed25519
/// signature over both, with the signing key's id. See docs/bundle-format.md.
///
/// Layout (integers little-endian):
/// `"MFBUNDLE"` | format u8 = 1 | kind u8 = 1 (module) | key id, 8 bytes |
/// manifest length u32 | wasm length u32 | manifest | wasm | signature, 64 bytes.
/// The signature covers every byte before it.
public enum ModuleBundle {
    public static let magic = Array("MFBUNDLE".utf8)
    public static let format: UInt8 = 1
    public static let moduleKind: UInt8 = 1
    public static let headerSize = 8 + 1 + 1 + 8 + 4 + 4
    public static let signatureSize = 64
    /// The largest bundle accepted, and the largest manifest inside one.
    public static let maximumSize = 8 << 20
    public static let maximumManifest = 64 << 10

    /// What a verified bundle holds.
    public struct Contents: Sendable {
        public let manifest: ModuleManifest
        public let wasm: [UInt8]
        public let keyID: String
    }

    /// Why a bundle is refused: what kind of problem (for code that decides, such as a
    /// rollout counting bad bundles apart from busy boards) and the line said to the person
    /// who pushed it.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public enum Kind: String, Hashable, Sendable {
            /// Not a bundle, or one of another format or kind, cut short or with bytes after it.
            case malformed
            /// Larger than the bundle or manifest limit.
            case tooLarge
            /// Signed by a key this board does not trust.
            case untrustedKey
            /// The signature does not verify (changed after signing), or signing failed.
            case signature
            /// The manifest or the module inside is not valid, or they disagree.
            case invalidModule
        }

        public let kind: Kind
        public let description: String

        public init(_ kind: Kind, _ description: String) {
            self.kind = kind
            self.description = description
        }
    }

    /// Builds and signs a bundle. The manifest is the one embedded in the wasm.
    public static func create(wasm: [UInt8], key: Curve25519.Signing.PrivateKey) throws(Refusal) -> [UInt8] {
        let manifestBytes: [UInt8]
        do {
            guard let embedded = try WasmBinary.customSection(ModuleABI.manifestSection, in: wasm) else {
                throw Refusal(.invalidModule, "the module has no embedded manifest; build it with `midflight module build`")
            }
            manifestBytes = embedded
            _ = try ModuleManifest.parse(manifestBytes, file: "embedded manifest")
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(.invalidModule, "\(error)")
        }
        var bytes = magic + [format, moduleKind]
        bytes += hexBytes(SigningKeys.id(of: key.publicKey))
        bytes += littleEndian(UInt32(manifestBytes.count)) + littleEndian(UInt32(wasm.count))
        bytes += manifestBytes + wasm
        guard let signature = try? key.signature(for: bytes) else { throw Refusal(.signature, "signing failed") }
        return bytes + Array(signature)
    }

    /// Parses defensively and verifies: size, layout, key trusted, signature, then that the
    /// manifest is valid and the one embedded in the wasm. Nothing is trusted before the
    /// signature checks out.
    public static func verify(_ bytes: [UInt8], trusted: TrustStore) throws(Refusal) -> Contents {
        guard bytes.count <= maximumSize else {
            throw Refusal(.tooLarge, "bundle of \(bytes.count) bytes is larger than the \(maximumSize)-byte limit")
        }
        guard bytes.count >= headerSize + signatureSize else {
            throw Refusal(.malformed, bytes.isEmpty ? "empty bundle (nothing on standard input?)" : "truncated bundle: \(bytes.count) bytes is shorter than a header and a signature")
        }
        guard Array(bytes[0..<8]) == magic else { throw Refusal(.malformed, "not a Midflight bundle (bad magic)") }
        guard bytes[8] == format else { throw Refusal(.malformed, "bundle format \(bytes[8]) is not supported (this agent reads format \(format))") }
        guard bytes[9] == moduleKind else { throw Refusal(.malformed, "not a module bundle (kind \(bytes[9]))") }
        let keyID = bytes[10..<18].map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        // Bounded as UInt32 before becoming Int: on 32-bit ARM a hostile length would trap.
        let rawManifest = readUInt32(bytes, 18)
        let rawWasm = readUInt32(bytes, 22)
        guard rawManifest <= UInt32(maximumManifest) else {
            throw Refusal(.tooLarge, "manifest of \(rawManifest) bytes is larger than the \(maximumManifest)-byte limit")
        }
        guard rawWasm <= UInt32(maximumSize) else {
            throw Refusal(.tooLarge, "module of \(rawWasm) bytes is larger than the \(maximumSize)-byte limit")
        }
        let manifestLength = Int(rawManifest)
        let wasmLength = Int(rawWasm)
        let expected = headerSize + manifestLength + wasmLength + signatureSize
        guard expected == bytes.count else {
            throw Refusal(.malformed, expected > bytes.count
                ? "truncated bundle: \(bytes.count) of \(expected) bytes"
                : "bundle has \(bytes.count - expected) bytes after its signature")
        }
        guard let key = trusted.key(id: keyID) else {
            throw Refusal(.untrustedKey, "signed by unknown key \(keyID); trusted keys: \(trusted.ids.isEmpty ? "none" : trusted.ids.joined(separator: ", "))")
        }
        let signed = Array(bytes[0..<(bytes.count - signatureSize)])
        let signature = Array(bytes[(bytes.count - signatureSize)...])
        guard key.isValidSignature(signature, for: signed) else {
            throw Refusal(.signature, "bad signature: the bundle was changed after signing, or not signed by key \(keyID)")
        }
        let manifestBytes = Array(bytes[headerSize..<(headerSize + manifestLength)])
        let wasm = Array(bytes[(headerSize + manifestLength)..<(headerSize + manifestLength + wasmLength)])
        let manifest: ModuleManifest
        do {
            manifest = try ModuleManifest.parse(manifestBytes, file: "bundle manifest")
        } catch {
            throw Refusal(.invalidModule, error.description)
        }
        let embedded: [UInt8]?
        do {
            embedded = try WasmBinary.customSection(ModuleABI.manifestSection, in: wasm)
        } catch {
            throw Refusal(.invalidModule, "the module is not valid WebAssembly (\(error))")
        }
        guard embedded == manifestBytes else {
            throw Refusal(.invalidModule, "the bundle's manifest is not the one embedded in its module")
        }
        return Contents(manifest: manifest, wasm: wasm, keyID: keyID)
    }

    /// The four bytes of `value`, little-endian, as bundle headers store lengths.
    public static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    /// A little-endian length read back from a header.
    public static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// The bytes of a key id written in hex.
    public static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var characters = Substring(hex)
        while characters.count >= 2 {
            bytes.append(UInt8(characters.prefix(2), radix: 16) ?? 0)
            characters = characters.dropFirst(2)
        }
        return bytes
    }
}
