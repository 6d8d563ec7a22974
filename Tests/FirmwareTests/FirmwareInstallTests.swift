import Crypto
import Firmware
import Foundation
import Manifests
import Testing

/// The installer end to end on file-backed slots and environment: what it writes, what it
/// refuses, and that a refusal leaves the running slot and the boot pointer untouched.
@Suite struct FirmwareInstallTests {
    @Test func anInstallWritesTheOtherSlotAndArmsOneTrialBoot() throws {
        let fixture = try FirmwareFixture()
        let image = FirmwareFixture.pattern(count: (2 << 20) + 12_345, seed: 1)
        let before = try fixture.slotBytes(.a)
        let installer = fixture.installer()
        try fixture.install(try fixture.bundle(image, securityVersion: 2), into: installer, piece: 7_777)
        #expect(installer.phase == .committed(target: .b))
        #expect(Array(try fixture.slotBytes(.b).prefix(image.count)) == image)
        #expect(try fixture.slotBytes(.a) == before)
        let variables = try fixture.variables()
        #expect(variables["boot_slot"] == "b")
        #expect(variables["slot_b_state"] == "trial")
        #expect(variables["slot_b_version"] == "1.1.0")
        #expect(variables["slot_b_security"] == "2")
        #expect(variables["upgrade_available"] == "1")
        #expect(variables["bootcount"] == "0")
        #expect(variables["security_version"] == "0", "raised only at validation")
        #expect(try fixture.printenv() == variables)
    }

    @Test func pieceSizesDoNotMatter() throws {
        let image = FirmwareFixture.pattern(count: (1 << 20) + 1, seed: 2)
        for piece in [1_000_003, 4096, 1 << 20, 333] {
            let fixture = try FirmwareFixture()
            try fixture.install(try fixture.bundle(image), into: fixture.installer(), piece: piece)
            #expect(Array(try fixture.slotBytes(.b).prefix(image.count)) == image, "piece \(piece)")
        }
    }

    @Test func installingFromSlotBTargetsSlotA() throws {
        let fixture = try FirmwareFixture()
        try fixture.layout.environment.store([("boot_slot", "b"), ("slot_b_state", "good"), ("slot_a_state", "good")])
        let image = FirmwareFixture.pattern(count: 5000, seed: 3)
        try fixture.install(try fixture.bundle(image), into: fixture.installer(running: .b))
        #expect(Array(try fixture.slotBytes(.a).prefix(5000)) == image)
        #expect(try fixture.variables()["boot_slot"] == "a")
    }

    // MARK: Refusals (each checks that nothing the bootloader reads changed)

    /// Runs an install expected to fail and checks the invariants: slot A bit-identical,
    /// still the boot slot, not on trial, and fw_printenv agreeing.
    func expectRefusal(
        _ fixture: FirmwareFixture, _ bytes: [UInt8], installer: FirmwareInstaller? = nil, _ kind: FirmwareRefusal.Kind,
        containing text: String, targetUntouched: Bool = true
    ) throws {
        let slotA = try fixture.slotBytes(.a)
        let slotB = try fixture.slotBytes(.b)
        let environmentBefore = try fixture.variables()
        let installer = installer ?? fixture.installer()
        #expect(throws: FirmwareRefusal.self) { try fixture.install(bytes, into: installer) }
        guard case .failed(let reason) = installer.phase else {
            Issue.record("not failed: \(installer.phase)")
            return
        }
        #expect(reason.contains(text), "\(reason)")
        #expect(installer.failure?.kind == kind, "\(reason)")
        #expect(try fixture.slotBytes(.a) == slotA)
        let variables = try fixture.variables()
        #expect(variables["boot_slot"] == "a")
        #expect(variables["upgrade_available"] == "0")
        #expect(variables["slot_a_state"] == "good")
        #expect(try fixture.printenv() == variables)
        if targetUntouched {
            #expect(try fixture.slotBytes(.b) == slotB, "refused before any write")
            #expect(variables == environmentBefore)
        } else {
            #expect(variables["slot_b_state"] == "bad", "a failed install leaves its target marked bad")
        }
    }

    @Test func aTamperedPayloadIsRefusedBeforeTheBlockIsWritten() throws {
        let fixture = try FirmwareFixture()
        var bytes = try fixture.bundle(FirmwareFixture.pattern(count: 3 << 20, seed: 4))
        bytes[bytes.count - (3 << 20) + 100] ^= 0x01  // first block
        try expectRefusal(fixture, bytes, .tampered, containing: "block 0 of the image does not match", targetUntouched: false)
        #expect(try fixture.slotBytes(.b).allSatisfy { $0 == 0 }, "no byte of a bad block reaches the slot")
    }

    @Test func aTamperedLastBlockLeavesTheTargetMarkedBad() throws {
        let fixture = try FirmwareFixture()
        var bytes = try fixture.bundle(FirmwareFixture.pattern(count: 3 << 20, seed: 5))
        bytes[bytes.count - 10] ^= 0x80
        try expectRefusal(fixture, bytes, .tampered, containing: "block 2", targetUntouched: false)
    }

    @Test func aTamperedManifestIsRefused() throws {
        let fixture = try FirmwareFixture()
        var bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 6))
        let manifestStart = 22
        let text = String(decoding: bytes[manifestStart..<(manifestStart + 200)], as: UTF8.self)
        let offset = try #require(text.range(of: "1.1.0")).lowerBound.utf16Offset(in: text)
        bytes[manifestStart + offset] = UInt8(ascii: "9")
        try expectRefusal(fixture, bytes, .signature, containing: "bad signature")
    }

    @Test func aBundleSignedByAnUnknownKeyIsRefused() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 7), key: Curve25519.Signing.PrivateKey())
        try expectRefusal(fixture, bytes, .signature, containing: "signed by unknown key")
    }

    @Test func aSignatureByTheWrongTrustedKeyIsRefused() throws {
        let fixture = try FirmwareFixture()
        let other = Curve25519.Signing.PrivateKey()
        var bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 8), key: other)
        // Claim the trusted key's id: the signature cannot match it.
        let trustedID = Array(SHA256.hash(data: Array(fixture.key.publicKey.rawRepresentation)).prefix(8))
        bytes.replaceSubrange(10..<18, with: trustedID)
        try expectRefusal(fixture, bytes, .signature, containing: "bad signature")
    }

    @Test func firmwareForAnotherBoardIsRefused() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 9), boards: ["raspberrypi4"])
        try expectRefusal(fixture, bytes, .incompatible, containing: "not for this board (sim)")
    }

    @Test func aLowerSecurityVersionIsRefused() throws {
        let fixture = try FirmwareFixture()
        try fixture.layout.environment.store([("security_version", "5")])
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 10), securityVersion: 4)
        try expectRefusal(fixture, bytes, .antiRollback, containing: "security version 4 is lower than this board's 5")
    }

    @Test func anImageLargerThanTheSlotIsRefused() throws {
        let fixture = try FirmwareFixture(slotSize: 1 << 20)
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: (1 << 20) + 1, seed: 11))
        try expectRefusal(fixture, bytes, .incompatible, containing: "does not fit slot B")
    }

    @Test func aTruncatedStreamIsRefused() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 2 << 20, seed: 12))
        try expectRefusal(fixture, Array(bytes.prefix(300)), .malformed, containing: "truncated bundle")
        try expectRefusal(fixture, Array(bytes.dropLast(1)), .malformed, containing: "truncated bundle", targetUntouched: false)
        try expectRefusal(fixture, [], .malformed, containing: "empty bundle")
    }

    @Test func bytesAfterTheImagesAreRefused() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 13))
        try expectRefusal(fixture, bytes + [0], .malformed, containing: "bytes after its images", targetUntouched: false)
    }

    @Test func aModuleBundleOrGarbageIsNotFirmware() throws {
        let fixture = try FirmwareFixture()
        var bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 14))
        bytes[9] = 1
        try expectRefusal(fixture, bytes, .malformed, containing: "this is a module bundle")
        try expectRefusal(fixture, Array("#!/bin/sh\necho hello, this is not a bundle\n".utf8), .malformed, containing: "bad magic")
    }

    @Test func aBundleNeedingANewerAgentIsRefused() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 15), minimumAgent: "9.0.0")
        try expectRefusal(fixture, bytes, .incompatible, containing: "needs agent 9.0.0")
    }

    @Test func installingFromASlotOnTrialIsRefused() throws {
        let fixture = try FirmwareFixture()
        try fixture.layout.environment.store([("slot_a_state", "trial"), ("upgrade_available", "1")])
        let slotB = try fixture.slotBytes(.b)
        let installer = fixture.installer()
        #expect(throws: FirmwareRefusal.self) {
            try fixture.install(try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 16)), into: installer)
        }
        #expect(installer.phase.description.contains("slot A is on trial"))
        #expect(try fixture.slotBytes(.b) == slotB)
    }

    @Test func aSecondInstallWaitsForTheRebootIntoTheFirst() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 17))
        try fixture.install(bytes, into: fixture.installer())
        let again = fixture.installer()
        #expect(throws: FirmwareRefusal.self) { try fixture.install(bytes, into: again) }
        #expect(again.phase.description.contains("boots next: reboot to try it first"))
        #expect(try fixture.variables()["boot_slot"] == "b")
    }
}

/// Refusals added after review: downgrades, an unwritable target, and an environment
/// changed by someone else during the install.
@Suite struct FirmwareInstallGuardTests {
    @Test func anOlderVersionNeedsToBeAskedFor() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 1000, seed: 20), version: "0.9.0")
        let refused = fixture.installer()
        #expect(throws: FirmwareRefusal.self) { try fixture.install(bytes, into: refused) }
        #expect(refused.phase.description.contains("version 0.9.0 is older than the running 1.0.0"))
        #expect(try fixture.variables()["slot_b_state"] == "bad" && (try fixture.slotBytes(.b)).allSatisfy { $0 == 0 })
        let allowed = FirmwareInstaller(target: .init(
            board: "sim", layout: fixture.layout, runningSlot: .a, trusted: fixture.trusted, agentVersion: SemanticVersion(0, 2, 0),
            allowDowngrade: true))
        try fixture.install(bytes, into: allowed)
        #expect(try fixture.variables()["slot_b_version"] == "0.9.0")
    }

    @Test func aTargetThatCannotBeOpenedIsRefusedBeforeAnyStore() throws {
        let fixture = try FirmwareFixture()
        let layout = FirmwareLayout(
            slots: [.a: fixture.layout.device(.a), .b: fixture.folder + "/missing/slot-b.img"], slotSize: fixture.slotSize,
            environmentConfig: fixture.layout.environment.configPath)
        let before = try fixture.variables()
        let installer = FirmwareInstaller(target: .init(
            board: "sim", layout: layout, runningSlot: .a, trusted: fixture.trusted, agentVersion: SemanticVersion(0, 2, 0)))
        #expect(throws: FirmwareRefusal.self) { try fixture.install(try fixture.bundle([1, 2, 3]), into: installer) }
        #expect(installer.phase.description.contains("cannot open"))
        #expect(try fixture.variables() == before)
    }

    @Test func aBootPointerMovedDuringTheInstallStopsTheCommit() throws {
        let fixture = try FirmwareFixture()
        let bytes = try fixture.bundle(FirmwareFixture.pattern(count: 5000, seed: 21))
        let installer = fixture.installer()
        try installer.feed(bytes[...])
        try fixture.layout.environment.store([("boot_slot", "b")])  // someone else, meanwhile
        #expect(throws: FirmwareRefusal.self) { try installer.finish() }
        #expect(installer.phase.description.contains("the boot environment changed during the install"))
        let variables = try fixture.variables()
        #expect(variables["upgrade_available"] == "0" && variables["slot_b_state"] == "bad")
    }
}
