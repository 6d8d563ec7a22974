import Firmware
import Testing

/// The boot environment protocol: each change is one store of exactly the variables it
/// names, read back through libubootenv as BootState reads them.
@Suite struct BootChooserTests {
    @Test func aStateReadsGarbledValuesAsTheSafestMeaning() {
        let state = BootState(["boot_slot": "c", "bootcount": "-5", "bootlimit": "99999999999", "slot_b_state": "maybe"])
        #expect(state.bootSlot == .a)
        #expect(state.bootCount == 0)
        #expect(state.bootLimit == 1_000_000)
        #expect(state.state(of: .b) == nil)
        #expect(state.securityFloor == 0)
        #expect(!state.isOnTrial(.a))
        #expect(BootState([:]).isProvisioned == false)
    }

    @Test func anInstallMarksTheSlotBadThenArmsItAndValidationRaisesTheFloor() throws {
        let fixture = try FirmwareFixture()
        let chooser = BootChooser(environment: fixture.layout.environment)
        try chooser.markBad(.b)
        try chooser.arm(.b, version: "1.1.0", securityVersion: 3, from: .a)
        let armed = try chooser.state()
        #expect(armed.bootSlot == .b && armed.upgradeAvailable && armed.state(of: .b) == .trial)
        #expect(armed.version(of: .b) == "1.1.0" && armed.securityVersion(of: .b) == 3 && armed.bootCount == 0)
        #expect(armed.isOnTrial(.b))
        try chooser.validate(.b, current: armed)
        let validated = try chooser.state()
        #expect(validated.state(of: .b) == .good && !validated.upgradeAvailable && validated.securityFloor == 3)
        #expect(!validated.isOnTrial(.b))
    }

    @Test func armingIsRefusedWhenTheEnvironmentMovedMeanwhile() throws {
        let fixture = try FirmwareFixture()
        let chooser = BootChooser(environment: fixture.layout.environment)
        // Slot B was never marked bad for this install (someone else touched it): not switched.
        try chooser.arm(.b, version: "1.1.0", securityVersion: 0, from: .a)
        #expect(throws: FirmwareRefusal.self) { try chooser.arm(.a, version: "1.2.0", securityVersion: 0, from: .a) }
        #expect(try chooser.state().bootSlot == .b)
    }

    @Test func cancellingAnArmedInstallAndRevertingDisarmTheTrial() throws {
        let fixture = try FirmwareFixture()
        let chooser = BootChooser(environment: fixture.layout.environment)
        try chooser.markBad(.b)
        try chooser.arm(.b, version: "1.1.0", securityVersion: 0, from: .a)
        try chooser.cancelArmed(running: .a)
        let cancelled = try chooser.state()
        #expect(cancelled.bootSlot == .a && !cancelled.upgradeAvailable && cancelled.state(of: .b) == .bad)
        try chooser.revert(to: .b)
        #expect(try chooser.state().bootSlot == .b)
    }

    @Test func aFallbackIsRecordedOnceAndTheSlotStaysBad() throws {
        let fixture = try FirmwareFixture()
        let environment = fixture.layout.environment
        try environment.store([(BootVariables.fallbackFrom, "b"), (BootVariables.state(.b), "good")])
        let chooser = BootChooser(environment: environment)
        #expect(try chooser.state().fallbackFrom == .b)
        try chooser.recordFallback(from: .b)
        let after = try chooser.state()
        #expect(after.fallbackFrom == nil && after.state(of: .b) == .bad)
    }
}
