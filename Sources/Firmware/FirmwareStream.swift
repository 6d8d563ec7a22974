import Bundles
import Crypto

/// Reads a firmware bundle as it arrives, in pieces of any size: holds the header and
/// manifest (bounded), verifies the signature and the manifest before handing on a
/// single payload byte, then passes the payload through and counts it.
public struct FirmwareStream {
    /// A manifest whose signature checked out, with the key that signed it.
    public struct Verified: Sendable {
        public let manifest: FirmwareManifest
        public let keyID: String
    }

    /// What one `feed` produced: the verified manifest when it completed in this piece,
    /// and the payload bytes in it.
    public struct Output {
        public var verified: Verified?
        public var payload: ArraySlice<UInt8>
    }

    private enum Phase {
        case header
        case manifest(length: Int)
        case payload(expected: Int, received: Int)
    }

    private let trusted: TrustStore
    private var phase = Phase.header
    private var pending: [UInt8] = []
    public private(set) var received = 0

    public init(trusted: TrustStore) {
        self.trusted = trusted
    }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(FirmwareRefusal) -> Output {
        received += bytes.count
        var output = Output(verified: nil, payload: [])
        var rest = bytes
        while !rest.isEmpty {
            switch phase {
            case .header:
                let take = min(FirmwareBundle.headerSize - pending.count, rest.count)
                pending += rest.prefix(take)
                rest = rest.dropFirst(take)
                if pending.count == FirmwareBundle.headerSize { phase = .manifest(length: try Self.manifestLength(pending)) }
            case .manifest(let length):
                let total = FirmwareBundle.headerSize + length + FirmwareBundle.signatureSize
                let take = min(total - pending.count, rest.count)
                pending += rest.prefix(take)
                rest = rest.dropFirst(take)
                if pending.count == total {
                    let verified = try verify(pending, manifestLength: length)
                    output.verified = verified
                    pending = []
                    phase = .payload(expected: verified.manifest.payloadSize, received: 0)
                }
            case .payload(let expected, let done):
                guard done + rest.count <= expected else {
                    throw FirmwareRefusal(.malformed, "the bundle has \(done + rest.count - expected) bytes after its images")
                }
                output.payload = rest
                phase = .payload(expected: expected, received: done + rest.count)
                rest = []
            }
        }
        return output
    }

    /// Called at the end of the input: anything short of the whole bundle is refused.
    public func finish() throws(FirmwareRefusal) {
        switch phase {
        case .header, .manifest:
            throw FirmwareRefusal(.malformed, received == 0
                ? "empty bundle (nothing on standard input?)"
                : "truncated bundle: it ends after \(received) bytes, inside its header or manifest")
        case .payload(let expected, let done):
            guard done == expected else {
                throw FirmwareRefusal(.malformed, "truncated bundle: \(done) of \(expected) payload bytes")
            }
        }
    }

    private static func manifestLength(_ header: [UInt8]) throws(FirmwareRefusal) -> Int {
        guard Array(header[0..<8]) == ModuleBundle.magic else { throw FirmwareRefusal(.malformed, "not a Midflight bundle (bad magic)") }
        guard header[8] == ModuleBundle.format else {
            throw FirmwareRefusal(.malformed, "bundle format \(header[8]) is not supported (this agent reads format \(ModuleBundle.format))")
        }
        guard header[9] == FirmwareBundle.firmwareKind else {
            throw FirmwareRefusal(.malformed, header[9] == ModuleBundle.moduleKind
                ? "this is a module bundle; push it with `midflight push` (the module-push subsystem)"
                : "not a firmware bundle (kind \(header[9]))")
        }
        let raw = ModuleBundle.readUInt32(header, 18)
        guard raw <= UInt32(FirmwareBundle.maximumManifest) else {
            throw FirmwareRefusal(.malformed, "manifest of \(raw) bytes is larger than the \(FirmwareBundle.maximumManifest)-byte limit")
        }
        return Int(raw)
    }

    private func verify(_ bytes: [UInt8], manifestLength: Int) throws(FirmwareRefusal) -> Verified {
        let keyID = Hex.encode(bytes[10..<18])
        guard let key = trusted.key(id: keyID) else {
            throw FirmwareRefusal(.signature, 
                "signed by unknown key \(keyID); trusted keys: \(trusted.ids.isEmpty ? "none" : trusted.ids.joined(separator: ", "))")
        }
        let signedEnd = FirmwareBundle.headerSize + manifestLength
        guard key.isValidSignature(Array(bytes[signedEnd...]), for: Array(bytes[..<signedEnd])) else {
            throw FirmwareRefusal(.signature, "bad signature: the manifest was changed after signing, or not signed by key \(keyID)")
        }
        let manifest = try FirmwareManifest.parse(Array(bytes[FirmwareBundle.headerSize..<signedEnd]))
        return Verified(manifest: manifest, keyID: keyID)
    }
}
