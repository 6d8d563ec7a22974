import Boards
import Bundles
import Crypto
import Firmware
import Foundation
import Manifests

/// A board's firmware storage in a temporary folder: two slot files, a file-backed
/// redundant environment (fw_printenv reads it), a signing key and a trust store.
struct FirmwareFixture {
    let folder: String
    let layout: FirmwareLayout
    let key = Curve25519.Signing.PrivateKey()
    let slotSize: Int

    init(slotSize: Int = 4 << 20) throws {
        folder = NSTemporaryDirectory() + "midflight-fw-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.slotSize = slotSize
        for name in ["slot-a.img", "slot-b.img"] {
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: nil)
            try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/" + name)).truncate(atOffset: UInt64(slotSize))
        }
        let config = try EnvironmentImage.createFileBacked(in: folder, size: 0x4000, initial: BootVariables.factory(version: "1.0.0"))
        layout = FirmwareLayout(slots: [.a: folder + "/slot-a.img", .b: folder + "/slot-b.img"], slotSize: slotSize, environmentConfig: config)
        // Slot A holds a recognisable "running" image.
        try Data(Self.pattern(count: 1 << 20, seed: 7)).write(to: URL(fileURLWithPath: layout.device(.a)))
        try FileHandle(forWritingTo: URL(fileURLWithPath: layout.device(.a))).truncate(atOffset: UInt64(slotSize))
    }

    var trusted: TrustStore { TrustStore(keys: [key.publicKey]) }

    func installer(running: FirmwareSlot = .a, board: String = "sim", trusted: TrustStore? = nil, agent: SemanticVersion = SemanticVersion(0, 2, 0)) -> FirmwareInstaller {
        FirmwareInstaller(target: .init(board: board, layout: layout, runningSlot: running, trusted: trusted ?? self.trusted, agentVersion: agent))
    }

    /// Deterministic bytes that differ from block to block.
    static func pattern(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// A signed bundle of `image`, as bytes.
    func bundle(
        _ image: [UInt8], version: String = "1.1.0", boards: [String] = ["sim"], securityVersion: Int = 0,
        minimumAgent: String = "0.2.0", key: Curve25519.Signing.PrivateKey? = nil
    ) throws -> [UInt8] {
        let imagePath = folder + "/image-\(UUID().uuidString.prefix(6)).img"
        let output = imagePath + ".fw"
        try Data(image).write(to: URL(fileURLWithPath: imagePath))
        try FirmwareBundle.create(
            imagePath: imagePath, outputPath: output, compatible: boards, version: SemanticVersion(version)!,
            securityVersion: securityVersion, minimumAgentVersion: SemanticVersion(minimumAgent)!, key: key ?? self.key)
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// Feeds `bytes` in pieces of `piece` bytes and finishes.
    func install(_ bytes: [UInt8], into installer: FirmwareInstaller, piece: Int = 65_536) throws(FirmwareRefusal) {
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + piece, bytes.count)
            try installer.feed(bytes[offset..<end])
            offset = end
        }
        try installer.finish()
    }

    func slotBytes(_ slot: FirmwareSlot) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: layout.device(slot))))
    }

    func variables() throws -> [String: String] { try layout.environment.variables() }

    /// What Debian's fw_printenv (libubootenv-tool) reads from the same files.
    func printenv() throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["fw_printenv", "-c", layout.environment.configPath]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var values: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }
}
