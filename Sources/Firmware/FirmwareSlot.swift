/// One of the two root slots. Its variables in the boot environment are
/// `slot_<name>_state` and `slot_<name>_version`; `boot_slot` names the one to boot.
public enum FirmwareSlot: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case a
    case b

    public var other: FirmwareSlot { self == .a ? .b : .a }
    public var description: String { rawValue.uppercased() }

    public var stateVariable: String { "slot_\(rawValue)_state" }
    public var versionVariable: String { "slot_\(rawValue)_version" }
}

/// What the boot environment says of a slot.
public enum SlotState: String, Hashable, Sendable {
    /// Booted and validated: a safe place to fall back to.
    case good
    /// Installed and switched to, booting on trial until validated.
    case trial
    /// Being written, failed to install, or fell back from: never booted on purpose.
    case bad
}

/// The boot environment's variable names, shared by the agent, the installer and the
/// bootloader model (and by U-Boot's scripts on a real board; see docs/update-and-rollback.md).
public enum BootVariables {
    public static let bootSlot = "boot_slot"
    public static let upgradeAvailable = "upgrade_available"
    public static let bootCount = "bootcount"
    public static let bootLimit = "bootlimit"
    /// Set by `altbootcmd`: the slot the bootloader gave up on (the agent reports it and clears it).
    public static let fallbackFrom = "fallback_from"
    /// The anti-rollback counter: lowest security version that may be installed.
    public static let securityVersion = "security_version"

    public static func slot(_ variables: [String: String]) -> FirmwareSlot {
        variables[bootSlot].flatMap(FirmwareSlot.init(rawValue:)) ?? .a
    }

    public static func state(of slot: FirmwareSlot, in variables: [String: String]) -> SlotState? {
        variables[slot.stateVariable].flatMap(SlotState.init(rawValue:))
    }

    /// The environment a board starts with: slot A good and booted, B empty.
    public static func factory(version: String) -> [String: String] {
        [
            bootSlot: "a", upgradeAvailable: "0", bootCount: "0", bootLimit: "1", securityVersion: "0",
            FirmwareSlot.a.stateVariable: SlotState.good.rawValue, FirmwareSlot.a.versionVariable: version,
            FirmwareSlot.b.stateVariable: SlotState.bad.rawValue,
            // What real U-Boot runs (see board/*/README.md); BootloaderModel implements the same.
            "altbootcmd": "setenv fallback_from ${boot_slot}; if test ${boot_slot} = a; then setenv boot_slot b; else setenv boot_slot a; fi; "
                + "setenv upgrade_available 0; setenv bootcount 0; saveenv; run bootcmd",
        ]
    }
}
