/// One of the two root slots (its variables in the boot environment: `BootVariables`).
public enum FirmwareSlot: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case a
    case b

    public var other: FirmwareSlot { self == .a ? .b : .a }
    public var description: String { rawValue.uppercased() }
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
