/// U-Boot's boot-count logic, in Swift: what the simulated board's `reboot` runs and what
/// tests walk through many boot sequences. Every boot adds one to `bootcount` (U-Boot counts
/// while `upgrade_available=1`; the boot script counts the other boots, see
/// docs/update-and-rollback.md), and the agent zeroes it once it is up. Past `bootlimit`
/// the bootloader runs `altbootcmd` (the other slot, trial disarmed, `fallback_from` set)
/// instead of `bootcmd`: always for a trial, and for a validated slot that keeps failing
/// when the other slot is not bad, so damage cannot leave the board in a reboot loop while
/// a slot that boots is there. A slot marked bad is never booted while the other is not.
public enum BootloaderModel {
    /// One boot's outcome: the slot, the changes it saves (one `saveenv`), and whether it
    /// fell back.
    public struct Boot: Hashable, Sendable {
        public let slot: FirmwareSlot
        public let changes: [String: String]
        public let fellBack: Bool
    }

    public static func boot(_ variables: [String: String]) -> Boot {
        let boot = BootState(variables)
        var slot = boot.bootSlot
        var changes: [String: String] = [:]
        var fellBack = false
        // Clamped (by BootState): a garbled or huge count must not trap the bootloader model.
        let count = boot.bootCount + 1
        if count > boot.bootLimit, boot.upgradeAvailable || Self.mayFallBack(to: slot.other, in: boot) {
            changes[BootVariables.fallbackFrom] = slot.rawValue
            slot = slot.other
            changes[BootVariables.bootSlot] = slot.rawValue
            changes[BootVariables.upgradeAvailable] = "0"
            changes[BootVariables.bootCount] = "0"
            fellBack = true
        } else {
            changes[BootVariables.bootCount] = String(count)
        }
        if boot.state(of: slot) == .bad, boot.state(of: slot.other) != .bad {
            slot = slot.other
            changes[BootVariables.bootSlot] = slot.rawValue
            fellBack = true
        }
        return Boot(slot: slot, changes: changes, fellBack: fellBack)
    }

    /// Whether a validated slot that keeps failing may be left for `slot`: it is not bad,
    /// and its security version is not below the board's floor (anti-rollback holds for
    /// damage too: a board never falls back to firmware it has sworn off).
    static func mayFallBack(to slot: FirmwareSlot, in boot: BootState) -> Bool {
        boot.state(of: slot) != .bad && boot.securityVersion(of: slot) >= boot.securityFloor
    }
}
