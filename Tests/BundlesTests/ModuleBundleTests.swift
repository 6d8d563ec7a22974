import Bundles
import Crypto
import Manifests
import ModuleABI
import Testing

/// A minimal "module": a wasm header plus the embedded manifest (bundles check the
/// format around the wasm; the agent checks the wasm itself).
func fakeModule(_ manifest: String = #"{"name": "m", "version": "1.0.0", "abi": 1}"#) -> [UInt8] {
    WasmBinary.appendingCustomSection(ModuleABI.manifestSection, payload: Array(manifest.utf8), to: WasmBinary.magic)
}

@Suite struct ModuleBundleTests {
    let key = Curve25519.Signing.PrivateKey()
    var trusted: TrustStore { TrustStore(keys: [key.publicKey]) }

    @Test func aSignedBundleVerifies() throws {
        let bundle = try ModuleBundle.create(wasm: fakeModule(), key: key)
        let contents = try ModuleBundle.verify(bundle, trusted: trusted)
        #expect(contents.manifest.name == "m")
        #expect(contents.wasm == fakeModule())
        #expect(contents.keyID == SigningKeys.id(of: key.publicKey))
    }

    @Test func severalTrustedKeysAllowRotation() throws {
        let old = Curve25519.Signing.PrivateKey()
        let store = TrustStore(keys: [old.publicKey, key.publicKey])
        #expect(throws: Never.self) { try ModuleBundle.verify(try ModuleBundle.create(wasm: fakeModule(), key: old), trusted: store) }
        #expect(throws: Never.self) { try ModuleBundle.verify(try ModuleBundle.create(wasm: fakeModule(), key: key), trusted: store) }
    }

    func refusal(_ bytes: [UInt8], trusted store: TrustStore? = nil) -> String? {
        do {
            _ = try ModuleBundle.verify(bytes, trusted: store ?? trusted)
            return nil
        } catch {
            return error.description
        }
    }

    func kind(_ bytes: [UInt8], trusted store: TrustStore? = nil) -> ModuleBundle.Refusal.Kind? {
        do {
            _ = try ModuleBundle.verify(bytes, trusted: store ?? trusted)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func eachRefusalSaysWhatKindOfProblemItIs() throws {
        let bundle = try ModuleBundle.create(wasm: fakeModule(), key: key)
        var tampered = bundle
        tampered[bundle.count - 1] ^= 0x01
        #expect(kind(bundle) == nil)
        #expect(kind(fakeModule()) == .malformed)
        #expect(kind(Array(bundle.dropLast(3))) == .malformed)
        #expect(kind([UInt8](repeating: 0, count: ModuleBundle.maximumSize + 1)) == .tooLarge)
        #expect(kind(bundle, trusted: TrustStore(keys: [])) == .untrustedKey)
        #expect(kind(tampered) == .signature)
        do {
            _ = try ModuleBundle.create(wasm: WasmBinary.magic, key: key)
            Issue.record("a module without a manifest was signed")
        } catch {
            #expect(error.kind == .invalidModule)
        }
    }

    @Test func anUnsignedModuleIsRefused() {
        #expect(refusal(fakeModule() + [UInt8](repeating: 0, count: 100)) == "not a Midflight bundle (bad magic)")
        #expect(refusal([]) == "empty bundle (nothing on standard input?)")
    }

    @Test func aBundleFromAnUntrustedKeyIsRefused() throws {
        let stranger = Curve25519.Signing.PrivateKey()
        let bundle = try ModuleBundle.create(wasm: fakeModule(), key: stranger)
        #expect(refusal(bundle)?.hasPrefix("signed by unknown key \(SigningKeys.id(of: stranger.publicKey)); trusted keys: ") == true)
        #expect(refusal(bundle, trusted: TrustStore(keys: []))?.hasSuffix("trusted keys: none") == true)
    }

    @Test func oneFlippedByteAnywhereIsRefused() throws {
        let bundle = try ModuleBundle.create(wasm: fakeModule(), key: key)
        let manifestStart = ModuleBundle.headerSize
        let wasmStart = bundle.count - ModuleBundle.signatureSize - fakeModule().count
        for position in [manifestStart + 2, wasmStart + 1, bundle.count - 1, bundle.count - 40] {
            var tampered = bundle
            tampered[position] ^= 0x01
            #expect(refusal(tampered)?.hasPrefix("bad signature") == true, "byte \(position)")
        }
        var keyID = bundle
        keyID[12] ^= 0x01
        #expect(refusal(keyID)?.hasPrefix("signed by unknown key") == true)
    }

    @Test func truncatedAndPaddedBundlesAreRefused() throws {
        let bundle = try ModuleBundle.create(wasm: fakeModule(), key: key)
        #expect(refusal(Array(bundle.dropLast(10)))?.hasPrefix("truncated bundle:") == true)
        #expect(refusal(Array(bundle.prefix(20)))?.hasPrefix("truncated bundle: 20 bytes") == true)
        #expect(refusal(bundle + [0])?.hasPrefix("bundle has 1 bytes after its signature") == true)
    }

    @Test func oversizedBundlesAreRefusedBeforeAnythingElse() {
        let huge = [UInt8](repeating: 0, count: ModuleBundle.maximumSize + 1)
        #expect(refusal(huge)?.hasPrefix("bundle of \(ModuleBundle.maximumSize + 1) bytes is larger than") == true)
    }

    @Test func aManifestThatIsNotTheEmbeddedOneIsRefused() throws {
        // Signed, but the header's manifest differs from the one inside the wasm.
        let module = fakeModule(#"{"name": "m", "version": "2.0.0", "abi": 1}"#)
        let other = Array(#"{"name": "m", "version": "1.0.0", "abi": 1}"#.utf8)
        var bytes = ModuleBundle.magic + [ModuleBundle.format, ModuleBundle.moduleKind]
        bytes += Array(SigningKeys.id(of: key.publicKey).utf8).isEmpty ? [] : hex(SigningKeys.id(of: key.publicKey))
        bytes += le(UInt32(other.count)) + le(UInt32(module.count)) + other + module
        bytes += Array(try key.signature(for: bytes))
        #expect(refusal(bytes) == "the bundle's manifest is not the one embedded in its module")
    }

    @Test func otherFormatsAndKindsAreRefused() throws {
        var bundle = try ModuleBundle.create(wasm: fakeModule(), key: key)
        bundle[8] = 9
        #expect(refusal(bundle) == "bundle format 9 is not supported (this agent reads format 1)")
        bundle[8] = 1
        bundle[9] = 2
        #expect(refusal(bundle) == "not a module bundle (kind 2)")
    }

    @Test func creatingFromAModuleWithoutManifestIsRefused() {
        #expect(throws: ModuleBundle.Refusal.self) { try ModuleBundle.create(wasm: WasmBinary.magic, key: key) }
    }

    @Test func keysRoundTripThroughTheirTextForms() throws {
        let text = SigningKeys.publicText(key.publicKey, comment: "laptop")
        #expect(try SigningKeys.parsePublic(text, file: "k.pub").rawRepresentation == key.publicKey.rawRepresentation)
        let secret = SigningKeys.privateText(key)
        #expect(try SigningKeys.parsePrivate(secret, file: "k").publicKey.rawRepresentation == key.publicKey.rawRepresentation)
        #expect(throws: SigningKeys.Problem.self) { try SigningKeys.parsePublic("ssh-ed25519 AAAA", file: "k.pub") }
        #expect(throws: SigningKeys.Problem.self) { try SigningKeys.parsePublic("midflight-ed25519 !!!!", file: "k.pub") }
        #expect(throws: SigningKeys.Problem.self) { try SigningKeys.parsePrivate(text, file: "k") }
    }

    @Test func base64IsStrict() {
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        for bad in ["aGVsbG8", "aGV=bG8=", "aGVsbG8*", "a==="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }
}

func le(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)] }
func hex(_ text: String) -> [UInt8] {
    stride(from: 0, to: text.count, by: 2).map { offset in
        let start = text.index(text.startIndex, offsetBy: offset)
        return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16) ?? 0
    }
}
