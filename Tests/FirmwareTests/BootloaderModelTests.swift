import Firmware
import Testing

/// U-Boot's bootcount / bootlimit / altbootcmd logic, walked through boot sequences.
@Suite struct BootloaderModelTests {
    /// Boots `times` times, applying each boot's saved changes as U-Boot's saveenv would.
    /// Boots `times` times. After each boot in which `agentUp` says the agent came up, it
    /// does what FirmwareManager does at start: report a trial fallen back from as bad, and
    /// zero the count unless this boot is a trial.
    func walk(_ start: [String: String], boots times: Int, agentUp: (FirmwareSlot) -> Bool = { _ in true }) -> ([FirmwareSlot], [String: String]) {
        var variables = start
        var slots: [FirmwareSlot] = []
        for _ in 0..<times {
            let boot = BootloaderModel.boot(variables)
            variables.merge(boot.changes) { _, new in new }
            slots.append(boot.slot)
            guard agentUp(boot.slot) else { continue }
            if let from = variables["fallback_from"].flatMap(FirmwareSlot.init(rawValue:)) {
                if from != boot.slot { variables[BootVariables.state(from)] = "bad" }
                variables["fallback_from"] = nil
            }
            let onTrial = variables["upgrade_available"] == "1" && BootState(variables).state(of: boot.slot) == .trial
            if !onTrial { variables["bootcount"] = "0" }
        }
        return (slots, variables)
    }

    var factory: [String: String] { BootVariables.factory(version: "1.0.0") }

    @Test func aValidatedBoardBootsItsSlotAndCountsTheBoot() {
        let boot = BootloaderModel.boot(factory)
        #expect(boot.slot == .a)
        #expect(boot.changes == ["bootcount": "1"])
        #expect(!boot.fellBack)
        // The agent zeroes the count at every start: the board stays on its slot.
        let (slots, end) = walk(factory, boots: 5)
        #expect(slots == Array(repeating: .a, count: 5))
        #expect(end["bootcount"] == "0")
    }

    @Test func aValidatedSlotThatStopsBootingFallsBackToTheGoodOne() {
        // 1.1.0 validated in B, 1.0.0 good in A; then B is damaged and never reaches the agent.
        var start = factory
        start.merge(["boot_slot": "b", "slot_b_state": "good", "slot_b_version": "1.1.0"]) { _, new in new }
        let (slots, end) = walk(start, boots: 6) { $0 == .a }
        #expect(slots == [.b, .a, .a, .a, .a, .a])
        #expect(end["boot_slot"] == "a")
        #expect(end["slot_b_state"] == "bad")
        #expect(end["bootcount"] == "0")
        #expect(end["fallback_from"] == nil)
    }

    @Test func aFailingSlotNeverFallsBackBelowTheSecurityFloor() {
        // B (security 2) validated raised the floor to 2; A still holds security 1.
        var start = factory
        start.merge([
            "boot_slot": "b", "slot_b_state": "good", "slot_b_version": "2.0.0", "slot_b_security": "2", "slot_a_security": "1",
            "security_version": "2",
        ]) { _, new in new }
        let (slots, end) = walk(start, boots: 4) { _ in false }
        #expect(slots == Array(repeating: .b, count: 4))
        #expect(end["bootcount"] == "4")
    }

    @Test func aGarbledOrHugeCountDoesNotStopTheBootloader() {
        var start = factory
        start["bootcount"] = String(Int.max)
        #expect(BootloaderModel.boot(start).slot == .a)
    }

    @Test func aFailingSlotWithNothingToFallBackToIsStillTried() {
        // The factory board: B is bad, so A is tried again and again (U-Boot has no other choice).
        let (slots, end) = walk(factory, boots: 4) { _ in false }
        #expect(slots == Array(repeating: .a, count: 4))
        #expect(end["bootcount"] == "4")
    }

    @Test func aTrialBootsTheNewSlotUpToTheLimitThenFallsBack() {
        for limit in 1...4 {
            var start = factory
            start.merge(["boot_slot": "b", "slot_b_state": "trial", "upgrade_available": "1", "bootcount": "0", "bootlimit": String(limit)]) { _, new in new }
            let (slots, end) = walk(start, boots: limit + 3)
            #expect(slots == Array(repeating: .b, count: limit) + Array(repeating: .a, count: 3), "bootlimit \(limit)")
            #expect(end["boot_slot"] == "a")
            #expect(end["upgrade_available"] == "0")
            #expect(end["bootcount"] == "0")
        }
    }

    @Test func aValidationStopsTheCount() {
        var variables = factory
        variables.merge(["boot_slot": "b", "slot_b_state": "trial", "upgrade_available": "1", "bootcount": "0"]) { _, new in new }
        let first = BootloaderModel.boot(variables)
        variables.merge(first.changes) { _, new in new }
        #expect(first.slot == .b && variables["bootcount"] == "1")
        variables.merge(["upgrade_available": "0", "bootcount": "0", "slot_b_state": "good"]) { _, new in new }
        let (slots, _) = walk(variables, boots: 5)
        #expect(slots == Array(repeating: .b, count: 5))
    }

    @Test func aSlotMarkedBadIsNeverBootedWhileTheOtherIsNot() {
        var variables = factory
        variables.merge(["boot_slot": "b", "slot_b_state": "bad"]) { _, new in new }
        let boot = BootloaderModel.boot(variables)
        #expect(boot.slot == .a)
        #expect(boot.changes["boot_slot"] == "a")
        // Both bad: boot what the environment says rather than nothing.
        variables["slot_a_state"] = "bad"
        #expect(BootloaderModel.boot(variables).slot == .b)
    }

    @Test func missingOrGarbledCountsAreTreatedAsZero() {
        var variables = factory
        variables.merge(["boot_slot": "b", "slot_b_state": "trial", "upgrade_available": "1", "bootcount": "x", "bootlimit": ""]) { _, new in new }
        let boot = BootloaderModel.boot(variables)
        #expect(boot.slot == .b)
        #expect(boot.changes["bootcount"] == "1")
    }
}
