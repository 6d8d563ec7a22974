import Firmware
import Foundation
import Manifests
import Testing

/// Manifests, the rootfs archive, the journal and the health gate.
@Suite struct FirmwareFormatTests {
    func manifestJSON(_ replacing: [String: String] = [:]) -> [UInt8] {
        let digest = String(repeating: "a", count: 64)
        var fields: [String: String] = [
            "format": "1", "product": "\"midflight\"", "compatible": "[\"sim\"]", "version": "\"1.2.3\"", "securityVersion": "4",
            "minimumAgentVersion": "\"0.2.0\"",
            "images": "[{\"name\":\"rootfs\",\"size\":10,\"sha256\":\"\(digest)\",\"blocks\":[\"\(digest)\"]}]",
        ]
        fields.merge(replacing) { _, new in new }
        return Array(("{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}").utf8)
    }

    @Test func aManifestRoundTrips() throws {
        let manifest = try FirmwareManifest.parse(manifestJSON())
        #expect(manifest.version == SemanticVersion(1, 2, 3))
        #expect(manifest.securityVersion == 4)
        #expect(manifest.rootfs?.size == 10)
        #expect(try FirmwareManifest.parse(manifest.serialized) == manifest)
    }

    @Test(arguments: [
        (["product": "\"other\""], "not a Midflight firmware"),
        (["format": "2"], "format 2 is not supported"),
        (["compatible": "[]"], "compatible names no board"),
        (["version": "\"1.2\""], "is not MAJOR.MINOR.PATCH"),
        (["images": "[]"], "no rootfs image"),
        (["images": "[{\"name\":\"rootfs\",\"size\":10,\"sha256\":\"XYZ\",\"blocks\":[]}]"], "expected 64 lower-case hex digits"),
        (["images": "[{\"name\":\"rootfs\",\"size\":2000000,\"sha256\":\"\(String(repeating: "a", count: 64))\",\"blocks\":[]}]"], "0 block digests"),
        (["images": "[{\"name\":\"../x\",\"size\":0,\"sha256\":\"\(String(repeating: "a", count: 64))\",\"blocks\":[]}]"], "image names are"),
        (["extra": "1"], "extra"),
    ])
    func badManifestsAreRefused(_ change: [String: String], _ text: String) {
        #expect {
            try FirmwareManifest.parse(manifestJSON(change))
        } throws: { error in
            (error as? FirmwareRefusal)?.description.contains(text) == true
        }
    }

    @Test func aFolderPacksAndUnpacksAsUstar() throws {
        let fixture = try FirmwareFixture()
        let source = fixture.folder + "/rootfs"
        try FileManager.default.createDirectory(atPath: source + "/etc/midflight", withIntermediateDirectories: true)
        try Data("{\"board\":\"sim\"}".utf8).write(to: URL(fileURLWithPath: source + "/etc/midflight/agent.json"))
        try Data(FirmwareFixture.pattern(count: 1500, seed: 1)).write(to: URL(fileURLWithPath: source + "/blob"))
        try TarArchive.pack(folder: source, to: fixture.folder + "/rootfs.tar")
        // GNU tar reads what we write.
        let listing = Process()
        listing.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listing.arguments = ["tar", "-tf", fixture.folder + "/rootfs.tar"]
        let output = Pipe()
        listing.standardOutput = output
        try listing.run()
        let names = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listing.waitUntilExit()
        #expect(names.contains("etc/midflight/agent.json") && names.contains("blob"))
        let written = try TarArchive.extract(from: BlockFile(path: fixture.folder + "/rootfs.tar", writable: false), to: fixture.folder + "/out")
        #expect(written == ["blob", "etc/midflight/agent.json"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/out/blob")) == Data(FirmwareFixture.pattern(count: 1500, seed: 1)))
    }

    @Test func anArchiveThatClimbsOutIsRefused() throws {
        let fixture = try FirmwareFixture()
        let evil = fixture.folder + "/evil"
        try FileManager.default.createDirectory(atPath: evil, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: evil + "/payload"))
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "--format=ustar", "-cf", fixture.folder + "/evil.tar", "-C", evil, "--transform", "s,^,../,", "payload"]
        try tar.run()
        tar.waitUntilExit()
        #expect(throws: FirmwareRefusal.self) {
            try TarArchive.extract(from: BlockFile(path: fixture.folder + "/evil.tar", writable: false), to: fixture.folder + "/out")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/payload"))
    }

    @Test func theJournalRoundTripsAndAnUnreadableOneIsReported() throws {
        let fixture = try FirmwareFixture()
        let path = fixture.folder + "/firmware.json"
        #expect(try FirmwareJournal.load(path) == FirmwareJournal())
        let journal = FirmwareJournal(
            pending: .init(slot: .b, version: "1.1.0"), trialFailure: "flow failed",
            last: .init(result: .reverted, slot: .a, version: "1.0.1", reason: "why"))
        try journal.save(path)
        #expect(try FirmwareJournal.load(path) == journal)
        try Data("{\"pending\":{\"slot\":\"c\",\"version\":\"1\"}}".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: FirmwareRefusal.self) { try FirmwareJournal.load(path) }
    }

    @Test func theHealthGatePassesAfterAnUnbrokenWindowAndExpiresAtTheDeadline() {
        let second: UInt64 = 1_000_000_000
        var gate = HealthGate(windowNanoseconds: 3 * second, deadlineNanoseconds: 10 * second, now: 0)
        #expect(gate.observe(healthy: true, now: 1 * second) == .waiting)
        #expect(gate.observe(healthy: false, now: 2 * second) == .waiting, "a crash restarts the window")
        #expect(gate.observe(healthy: true, now: 3 * second) == .waiting)
        #expect(gate.observe(healthy: true, now: 5 * second) == .waiting)
        #expect(gate.observe(healthy: true, now: 6 * second) == .passed)
        #expect(gate.observe(healthy: false, now: 20 * second) == .passed, "a verdict is final")

        var failing = HealthGate(windowNanoseconds: 3 * second, deadlineNanoseconds: 10 * second, now: 0)
        for time in stride(from: 0, through: 9, by: 1) { #expect(failing.observe(healthy: time % 2 == 0, now: UInt64(time) * second) == .waiting) }
        #expect(failing.observe(healthy: true, now: 10 * second) == .expired)
    }
}
