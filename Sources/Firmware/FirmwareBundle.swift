#if canImport(Glibc)
import Glibc
#endif
import Bundles
import Crypto
import Manifests

/// A signed firmware bundle (`.fw`): a header and manifest signed together, then the
/// images' bytes. The manifest carries every block's digest, so a receiver verifies the
/// signature before the first payload byte and each block before writing it.
///
/// Layout (integers little-endian): `"MFBUNDLE"` | format u8 = 1 | kind u8 = 2 (firmware)
/// | key id, 8 bytes | manifest length u32 | manifest | signature, 64 bytes (over every
/// byte before it) | images, in manifest order. See docs/bundle-format.md.
public enum FirmwareBundle {
    public static let firmwareKind: UInt8 = 2
    public static let headerSize = 8 + 1 + 1 + 8 + 4
    public static let signatureSize = 64
    /// A manifest holds 64 hex digits per MiB of image: 1 MiB of manifest covers 16 GiB.
    public static let maximumManifest = 1 << 20

    /// Writes a signed bundle for `imagePath` (a root filesystem image) to `outputPath`,
    /// reading the image twice (digests, then copy) in blocks. Returns its manifest.
    @discardableResult
    public static func create(
        imagePath: String, outputPath: String, compatible: [String], version: SemanticVersion, securityVersion: Int,
        minimumAgentVersion: SemanticVersion, key: Curve25519.Signing.PrivateKey
    ) throws(FirmwareRefusal) -> FirmwareManifest {
        let image = try BlockFile(path: imagePath, writable: false)
        let size = try image.size()
        var whole = SHA256()
        var blocks: [String] = []
        var offset = 0
        while offset < size {
            let block = try image.read(min(FirmwareManifest.blockSize, size - offset), at: offset)
            whole.update(data: block)
            blocks.append(Hex.encode(SHA256.hash(data: block)))
            offset += block.count
        }
        let manifest = FirmwareManifest(
            compatible: compatible, version: version, securityVersion: securityVersion,
            minimumAgentVersion: minimumAgentVersion,
            images: [.init(name: "rootfs", size: size, sha256: Hex.encode(whole.finalize()), blocks: blocks)])
        let signed = header(manifest: manifest.serialized, key: key.publicKey)
        guard let signature = try? key.signature(for: signed) else { throw FirmwareRefusal(.signature, "signing failed") }

        let temporary = outputPath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FirmwareRefusal(.storage, "cannot create \(temporary): \(BlockFile.lastError())") }
        close(fd)
        let output = try BlockFile(path: temporary, writable: true)
        try output.write(ArraySlice(signed + Array(signature)), at: 0)
        let start = signed.count + signatureSize
        offset = 0
        while offset < size {
            let block = try image.read(min(FirmwareManifest.blockSize, size - offset), at: offset)
            try output.write(block[...], at: start + offset)
            offset += block.count
        }
        try output.sync()
        output.close()
        guard rename(temporary, outputPath) == 0 else { throw FirmwareRefusal(.storage, "cannot write \(outputPath): \(BlockFile.lastError())") }
        return manifest
    }

    static func header(manifest: [UInt8], key: Curve25519.Signing.PublicKey) -> [UInt8] {
        var bytes = ModuleBundle.magic + [ModuleBundle.format, firmwareKind]
        bytes += ModuleBundle.hexBytes(SigningKeys.id(of: key))
        bytes += ModuleBundle.littleEndian(UInt32(manifest.count))
        return bytes + manifest
    }
}
