import Agent
import Bundles
import Crypto
import Firmware
import Foundation
import Manifests
import Testing
import Updates

/// The agent's firmware side on a file-backed board: one install at a time across
/// processes, reverts by hand, anti-rollback on revert, an unreadable journal.
@Suite struct FirmwareManagerTests {
    func board() throws -> (String, FirmwareLayout) {
        let folder = NSTemporaryDirectory() + "midflight-fwm-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["slot-a.img", "slot-b.img"] {
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: nil)
            try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/" + name)).truncate(atOffset: 1 << 20)
        }
        let config = try EnvironmentImage.createFileBacked(in: folder, size: 0x4000, initial: BootVariables.factory(version: "1.0.0"))
        return (folder, FirmwareLayout(slots: [.a: folder + "/slot-a.img", .b: folder + "/slot-b.img"], slotSize: 1 << 20, environmentConfig: config))
    }

    func manager(_ folder: String, _ layout: FirmwareLayout, running: FirmwareSlot = .a) throws -> FirmwareManager {
        try FirmwareManager(
            board: "sim", layout: layout, runningSlot: running, settings: .init(), dataDirectory: folder, trusted: TrustStore(keys: []),
            log: LogBook(echo: { _ in }))
    }

    @Test func oneInstallAtATimeEvenAcrossManagers() throws {
        let (folder, layout) = try board()
        let first = try manager(folder, layout)
        let second = try manager(folder, layout)  // as `midflightd install` beside the agent
        let installer = try first.beginInstall()
        #expect(throws: FirmwareRefusal.self) { try second.beginInstall() }
        #expect(throws: FirmwareRefusal.self) { try first.revert() }
        first.endInstall(installer)
        let next = try second.beginInstall()
        second.endInstall(next)
    }

    /// Streams `bundle` into a new install; the refusal, if any.
    func install(_ bundle: [UInt8], with manager: FirmwareManager) throws -> FirmwareRefusal? {
        let installer = try manager.beginInstall()
        defer { manager.endInstall(installer) }
        do {
            var offset = 0
            while offset < bundle.count {
                let end = min(offset + 65_536, bundle.count)
                try installer.feed(bundle[offset..<end])
                offset = end
            }
            try installer.finish()
            return nil
        } catch {
            return error
        }
    }

    @Test func keysTrustedAtASighupSignInstallsFromThenOn() throws {
        let (folder, layout) = try board()
        let manager = try manager(folder, layout)
        let key = Curve25519.Signing.PrivateKey()
        let image = folder + "/rootfs.img"
        try Data((0..<(64 << 10)).map { UInt8($0 & 0xFF) }).write(to: URL(fileURLWithPath: image))
        try FirmwareBundle.create(
            imagePath: image, outputPath: folder + "/new.fw", compatible: ["sim"], version: SemanticVersion("1.1.0")!, securityVersion: 0,
            minimumAgentVersion: SemanticVersion("0.1.0")!, key: key)
        let bundle = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/new.fw")))
        let refused = try install(bundle, with: manager)
        #expect(refused?.kind == .signature, "\(String(describing: refused))")
        #expect(refused?.description.contains("unknown key") == true, "\(String(describing: refused))")
        // What `midflightd` does at a SIGHUP once the key is in the trusted-keys folder.
        manager.replaceTrustedKeys(TrustStore(keys: [key.publicKey]))
        #expect(try install(bundle, with: manager) == nil)
        // And a key taken away no longer signs.
        let (otherFolder, otherLayout) = try board()
        let other = try self.manager(otherFolder, otherLayout)
        other.replaceTrustedKeys(TrustStore(keys: [key.publicKey]))
        other.replaceTrustedKeys(TrustStore(keys: []))
        #expect(try install(bundle, with: other)?.kind == .signature)
    }

    @Test func revertingATrialByHandIsReportedAsSuch() throws {
        let (folder, layout) = try board()
        try layout.environment.store([
            ("boot_slot", "b"), ("slot_b_state", "trial"), ("slot_b_version", "1.1.0"), ("upgrade_available", "1"), ("bootcount", "1"),
        ])
        let onTrial = try manager(folder, layout, running: .b)
        #expect(try onTrial.isOnTrial())
        #expect(try onTrial.revert() == .a)
        // The next boot runs A and finds B still on trial: reverted, with the reason.
        let afterReboot = try manager(folder, layout, running: .a)
        let status = try afterReboot.status()
        #expect(status.lastOutcome == "reverted from slot B (1.1.0): given up by hand (fw revert)")
        #expect(status.otherSlotState == "bad")
        #expect(try layout.environment.variables()["slot_b_state"] == "bad")
    }

    @Test func revertCancelsAnInstallWaitingForItsReboot() throws {
        let (folder, layout) = try board()
        let manager = try manager(folder, layout)
        // What a committed install leaves: B on trial, booting next.
        try layout.environment.store([
            ("boot_slot", "b"), ("slot_b_state", "trial"), ("slot_b_version", "1.1.0"), ("upgrade_available", "1"), ("bootcount", "0"),
        ])
        #expect(try manager.status().pendingReboot)
        #expect(try manager.revert() == .a)
        let variables = try layout.environment.variables()
        #expect(variables["boot_slot"] == "a" && variables["upgrade_available"] == "0" && variables["slot_b_state"] == "bad")
        let status = try manager.status()
        #expect(!status.pendingReboot)
        #expect(status.lastOutcome == "reverted from slot B (1.1.0): install cancelled before its reboot (fw revert)")
        // The next boot runs A with nothing to report again, and a new install is allowed.
        let afterReboot = try self.manager(folder, layout)
        #expect(try afterReboot.status().lastOutcome == status.lastOutcome)
        let installer = try afterReboot.beginInstall()
        afterReboot.endInstall(installer)
    }

    @Test func aValidationLostWithTheNewerEnvironmentCopyIsReportedAsThat() throws {
        let (folder, layout) = try board()
        // B was validated (the journal says so), but the copy that recorded it was lost: the
        // older copy still had B on trial, so the bootloader fell back to A.
        try FirmwareJournal(last: .init(result: .validated, slot: .b, version: "1.1.0", reason: "healthy for 30 s")).save(folder + "/firmware.json")
        try layout.environment.store([("boot_slot", "a"), ("slot_b_state", "trial"), ("slot_b_version", "1.1.0"), ("slot_a_state", "good")])
        let manager = try manager(folder, layout)
        #expect(try manager.status().lastOutcome
            == "reverted from slot B (1.1.0): slot B had been validated, but the boot environment's newer copy was damaged and the older one still had it on trial")
    }

    @Test func aRevertBelowTheSecurityFloorIsRefused() throws {
        let (folder, layout) = try board()
        try layout.environment.store([
            ("boot_slot", "b"), ("slot_b_state", "good"), ("slot_b_version", "2.0.0"), ("slot_b_security", "3"), ("security_version", "3"),
        ])
        let manager = try manager(folder, layout, running: .b)
        #expect {
            try manager.revert()
        } throws: { error in
            "\(error)".contains("slot A has security version 0, below this board's 3")
        }
        #expect(try layout.environment.variables()["boot_slot"] == "b")
    }

    @Test func anUnreadableJournalDoesNotStopTheAgent() throws {
        let (folder, layout) = try board()
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: folder + "/firmware.json"))
        let manager = try manager(folder, layout)
        #expect(try manager.status().lastOutcome == nil)
    }
}
