import Bundles
import Crypto
import Manifests

/// Installs a firmware bundle into the slot that is not running, fed as it arrives:
/// manifest verified and accepted → target durably marked bad → each block checked
/// against the signed manifest, then written → synced → read back and hashed → one
/// environment store that switches the slot and arms the trial. Memory is bounded by one
/// block. Any refusal leaves the running slot and the boot pointer untouched.
public final class FirmwareInstaller {
    /// What the installer needs to know of the board it runs on.
    public struct Target: Sendable {
        public let board: String
        public let layout: FirmwareLayout
        public let runningSlot: FirmwareSlot
        public let trusted: TrustStore
        public let agentVersion: SemanticVersion
        /// Accept a version older than the running one (the security version still applies).
        public let allowDowngrade: Bool

        public init(
            board: String, layout: FirmwareLayout, runningSlot: FirmwareSlot, trusted: TrustStore, agentVersion: SemanticVersion,
            allowDowngrade: Bool = false
        ) {
            self.board = board
            self.layout = layout
            self.runningSlot = runningSlot
            self.trusted = trusted
            self.agentVersion = agentVersion
            self.allowDowngrade = allowDowngrade
        }
    }

    public let target: Target
    public private(set) var phase = InstallPhase.receiving
    public private(set) var manifest: FirmwareManifest?
    public private(set) var keyID: String?
    /// Why the install was refused, once it was: every later call is refused the same way.
    public private(set) var failure: FirmwareRefusal?
    private var stream: FirmwareStream
    private var device: BlockFile?
    private var block: [UInt8] = []
    private var blockIndex = 0
    private var written = 0
    private var whole = SHA256()

    public init(target: Target) {
        self.target = target
        stream = FirmwareStream(trusted: target.trusted)
    }

    /// Bytes received so far, and the bundle's full size once the manifest is known.
    public var received: Int { stream.received }
    public var expectedSize: Int? {
        manifest.map { FirmwareBundle.headerSize + $0.serialized.count + FirmwareBundle.signatureSize + $0.payloadSize }
    }

    /// Takes the next piece of the bundle.
    public func feed(_ bytes: ArraySlice<UInt8>) throws(FirmwareRefusal) {
        try guarded { () throws(FirmwareRefusal) in
            let output = try stream.feed(bytes)
            if let verified = output.verified { try begin(verified) }
            var rest = output.payload
            while !rest.isEmpty {
                let take = min(FirmwareManifest.blockSize - block.count, rest.count)
                block += rest.prefix(take)
                rest = rest.dropFirst(take)
                if block.count == FirmwareManifest.blockSize { try writeBlock() }
            }
        }
    }

    /// The end of the input: writes the last block, reads the slot back, commits.
    public func finish() throws(FirmwareRefusal) {
        try guarded { () throws(FirmwareRefusal) in
            try stream.finish()
            guard let manifest, let device, case .writing(let slot, _, let total) = phase else {
                throw FirmwareRefusal(.malformed, "the install did not start")
            }
            if !block.isEmpty { try writeBlock() }
            guard Hex.encode(whole.finalize()) == manifest.rootfs?.sha256 else {
                throw FirmwareRefusal(.tampered, "the image's SHA-256 does not match the manifest")
            }
            try device.sync()
            // Read back from the storage, not from the pages just written.
            device.dropCache()
            phase = .readingBack(target: slot)
            try readBack(device, total: total, manifest: manifest)
            device.close()
            self.device = nil
            // Nothing else may have moved the boot pointer or the target meanwhile.
            try chooser.arm(slot, version: manifest.version.description, securityVersion: manifest.securityVersion, from: target.runningSlot)
            phase = .committed(target: slot)
        }
    }

    private func guarded(_ body: () throws(FirmwareRefusal) -> Void) throws(FirmwareRefusal) {
        if let failure { throw failure }
        do {
            try body()
        } catch {
            failure = error
            phase = .failed(reason: error.description)
            device?.close()
            device = nil
            throw error
        }
    }

    private func begin(_ verified: FirmwareStream.Verified) throws(FirmwareRefusal) {
        let slot = target.runningSlot.other
        let boot = try chooser.state()
        let capacity = try target.layout.capacity(of: slot)
        try FirmwareAcceptance.check(
            verified.manifest, board: target.board, running: target.runningSlot, boot: boot,
            slotCapacity: capacity, agentVersion: target.agentVersion, allowDowngrade: target.allowDowngrade)
        manifest = verified.manifest
        keyID = verified.keyID
        // Opened before anything is stored, so a device we cannot write is refused with nothing changed.
        device = try BlockFile(path: target.layout.device(slot), writable: true)
        // Durably invalid before the first byte: a later fallback must never pick a half-written slot.
        try chooser.markBad(slot)
        block.reserveCapacity(FirmwareManifest.blockSize)
        phase = .writing(target: slot, written: 0, total: verified.manifest.rootfs?.size ?? 0)
    }

    private func writeBlock() throws(FirmwareRefusal) {
        guard let manifest, let image = manifest.rootfs, let device, case .writing(let slot, _, let total) = phase else {
            throw FirmwareRefusal(.malformed, "payload before the manifest")
        }
        guard blockIndex < image.blocks.count else { throw FirmwareRefusal(.tampered, "the payload is longer than the image") }
        guard Hex.encode(SHA256.hash(data: block)) == image.blocks[blockIndex] else {
            throw FirmwareRefusal(.tampered, "block \(blockIndex) of the image does not match the signed manifest (tampered or corrupted); nothing of it was written")
        }
        whole.update(data: block)
        try device.write(block[...], at: written)
        written += block.count
        blockIndex += 1
        block.removeAll(keepingCapacity: true)
        phase = .writing(target: slot, written: written, total: total)
    }

    private func readBack(_ device: BlockFile, total: Int, manifest: FirmwareManifest) throws(FirmwareRefusal) {
        var hash = SHA256()
        var offset = 0
        while offset < total {
            let chunk = try device.read(min(FirmwareManifest.blockSize, total - offset), at: offset)
            guard !chunk.isEmpty else { break }
            hash.update(data: chunk)
            offset += chunk.count
        }
        guard offset == total, Hex.encode(hash.finalize()) == manifest.rootfs?.sha256 else {
            throw FirmwareRefusal(.storage, "reading slot back gave different bytes than were written (failing storage?)")
        }
    }

    private var chooser: BootChooser { BootChooser(environment: target.layout.environment) }
}
