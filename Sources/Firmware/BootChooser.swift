/// The U-Boot A/B protocol, in one file: the boot environment's variables (`BootVariables`),
/// what they say (`BootState`), and every change the agent and the installer make to them
/// (`BootChooser`, one store each). `BootloaderModel` is the other side, what U-Boot's
/// scripts do at boot; docs/update-and-rollback.md describes both.

/// The boot environment's variable names, shared by the agent, the installer, the
/// bootloader model and U-Boot's scripts on a real board.
public enum BootVariables {
    public static let bootSlot = "boot_slot"
    public static let upgradeAvailable = "upgrade_available"
    public static let bootCount = "bootcount"
    public static let bootLimit = "bootlimit"
    /// Set by `altbootcmd`: the slot the bootloader gave up on (the agent reports it and clears it).
    public static let fallbackFrom = "fallback_from"
    /// The anti-rollback counter: lowest security version that may be installed.
    public static let securityVersion = "security_version"

    /// `slot_<name>_state`: good, trial or bad.
    public static func state(_ slot: FirmwareSlot) -> String { "slot_\(slot.rawValue)_state" }
    /// `slot_<name>_version`: the firmware version in the slot.
    public static func version(_ slot: FirmwareSlot) -> String { "slot_\(slot.rawValue)_version" }
    /// `slot_<name>_security`: the security version the slot's firmware raises the
    /// anti-rollback counter to once it is validated.
    public static func security(_ slot: FirmwareSlot) -> String { "slot_\(slot.rawValue)_security" }

    /// The environment a board starts with: slot A good and booted, B empty.
    public static func factory(version: String) -> [String: String] {
        [
            bootSlot: "a", upgradeAvailable: "0", bootCount: "0", bootLimit: "1", securityVersion: "0",
            state(.a): SlotState.good.rawValue, self.version(.a): version, state(.b): SlotState.bad.rawValue,
            // What real U-Boot runs (see board/*/README.md); BootloaderModel implements the same.
            "altbootcmd": "setenv fallback_from ${boot_slot}; if test ${boot_slot} = a; then setenv boot_slot b; else setenv boot_slot a; fi; "
                + "setenv upgrade_available 0; setenv bootcount 0; saveenv; run bootcmd",
        ]
    }
}

/// What the boot environment says, read once. Unknown or garbled values read as the
/// safest meaning (slot A, state unknown, counts clamped).
public struct BootState: Hashable, Sendable {
    public let variables: [String: String]

    public init(_ variables: [String: String]) {
        self.variables = variables
    }

    /// Whether the agent's variables are there (false on a board's first start).
    public var isProvisioned: Bool { variables[BootVariables.bootSlot] != nil }
    /// The slot the bootloader boots next.
    public var bootSlot: FirmwareSlot { variables[BootVariables.bootSlot].flatMap(FirmwareSlot.init(rawValue:)) ?? .a }
    public var upgradeAvailable: Bool { variables[BootVariables.upgradeAvailable] == "1" }
    /// The count as stored (what `fw status` shows).
    public var bootCountText: String { variables[BootVariables.bootCount] ?? "0" }
    public var bootCount: Int { Self.clamped(variables[BootVariables.bootCount], default: 0) }
    public var bootLimit: Int { Self.clamped(variables[BootVariables.bootLimit], default: 1) }
    public var securityFloor: Int { Int(variables[BootVariables.securityVersion] ?? "") ?? 0 }
    public var fallbackFrom: FirmwareSlot? { variables[BootVariables.fallbackFrom].flatMap(FirmwareSlot.init(rawValue:)) }

    public func state(of slot: FirmwareSlot) -> SlotState? {
        variables[BootVariables.state(slot)].flatMap(SlotState.init(rawValue:))
    }

    public func version(of slot: FirmwareSlot) -> String? { variables[BootVariables.version(slot)] }

    public func securityVersion(of slot: FirmwareSlot) -> Int { Int(variables[BootVariables.security(slot)] ?? "") ?? 0 }

    /// Whether `running` is booting on trial: switched to, counted, not validated yet.
    public func isOnTrial(_ running: FirmwareSlot) -> Bool {
        upgradeAvailable && bootSlot == running && state(of: running) == .trial
    }

    /// The slot on trial, if one is.
    public var trialSlot: FirmwareSlot? { FirmwareSlot.allCases.first { state(of: $0) == .trial } }

    static func clamped(_ text: String?, default value: Int) -> Int {
        min(max(Int(text ?? "") ?? value, 0), 1_000_000)
    }
}

/// Every change made to the boot environment, each one store (one `saveenv`: both copies
/// of a redundant environment are never half-written). Implemented once, over libubootenv.
public struct BootChooser: Sendable {
    public let environment: UBootEnvironment

    public init(environment: UBootEnvironment) {
        self.environment = environment
    }

    public func state() throws(FirmwareRefusal) -> BootState {
        do {
            return BootState(try environment.variables())
        } catch {
            throw FirmwareRefusal(.bootEnvironment, error.description)
        }
    }

    /// A board's first start: our variables next to U-Boot's own, `running` good.
    public func provision(running: FirmwareSlot, factoryVersion: String, current: BootState) throws(FirmwareRefusal) {
        var provision = BootVariables.factory(version: factoryVersion).filter { current.variables[$0.key] == nil }
        provision[BootVariables.bootSlot] = running.rawValue
        provision[BootVariables.state(running)] = SlotState.good.rawValue
        provision[BootVariables.version(running)] = factoryVersion
        provision[BootVariables.state(running.other)] = SlotState.bad.rawValue
        try store(provision.sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) })
    }

    /// Durably invalid before an install writes its first byte: a fallback never picks a
    /// half-written slot.
    public func markBad(_ slot: FirmwareSlot) throws(FirmwareRefusal) {
        try store([(BootVariables.state(slot), SlotState.bad.rawValue), (BootVariables.version(slot), nil), (BootVariables.security(slot), nil)])
    }

    /// Switches the next boot to `slot`, on trial, once the install is verified; refused if
    /// anything else moved the boot pointer from `running` or touched `slot` meanwhile.
    public func arm(_ slot: FirmwareSlot, version: String, securityVersion: Int, from running: FirmwareSlot) throws(FirmwareRefusal) {
        let now = try state()
        guard now.bootSlot == running, now.state(of: slot) == .bad else {
            throw FirmwareRefusal(.bootEnvironment, 
                "the boot environment changed during the install (boot_slot \(now.variables[BootVariables.bootSlot] ?? "?"), slot \(slot) \(now.variables[BootVariables.state(slot)] ?? "?")); not switching")
        }
        try store([
            (BootVariables.bootSlot, slot.rawValue), (BootVariables.state(slot), SlotState.trial.rawValue),
            (BootVariables.version(slot), version), (BootVariables.security(slot), String(securityVersion)),
            (BootVariables.upgradeAvailable, "1"), (BootVariables.bootCount, "0"),
        ])
    }

    /// Commits a trial of `slot`: the count disarmed, the slot good, the anti-rollback floor
    /// raised to its security version.
    public func validate(_ slot: FirmwareSlot, current: BootState) throws(FirmwareRefusal) {
        let security = max(current.securityFloor, current.securityVersion(of: slot))
        try store([
            (BootVariables.upgradeAvailable, "0"), (BootVariables.bootCount, "0"),
            (BootVariables.state(slot), SlotState.good.rawValue), (BootVariables.securityVersion, String(security)),
        ])
    }

    /// The next boot from `slot` (a validated one), trial disarmed.
    public func revert(to slot: FirmwareSlot) throws(FirmwareRefusal) {
        try store([(BootVariables.bootSlot, slot.rawValue), (BootVariables.upgradeAvailable, "0"), (BootVariables.bootCount, "0")])
    }

    /// An armed install cancelled before its reboot: `running` boots next, the other slot is bad.
    public func cancelArmed(running: FirmwareSlot) throws(FirmwareRefusal) {
        try store([
            (BootVariables.bootSlot, running.rawValue), (BootVariables.upgradeAvailable, "0"), (BootVariables.bootCount, "0"),
            (BootVariables.state(running.other), SlotState.bad.rawValue),
        ])
    }

    /// The slot the bootloader gave up on (`fallback_from`, a trial it left) marked bad, and
    /// `fallback_from` cleared; or only cleared with nil.
    public func recordFallback(from slot: FirmwareSlot?) throws(FirmwareRefusal) {
        var changes: [(String, String?)] = [(BootVariables.fallbackFrom, nil)]
        if let slot { changes.insert((BootVariables.state(slot), SlotState.bad.rawValue), at: 0) }
        try store(changes)
    }

    /// This boot reached the agent: the count of boots that never got this far is zeroed.
    public func confirmBoot() throws(FirmwareRefusal) {
        try store([(BootVariables.bootCount, "0")])
    }

    private func store(_ changes: [(String, String?)]) throws(FirmwareRefusal) {
        do {
            try environment.store(changes)
        } catch {
            throw FirmwareRefusal(.bootEnvironment, error.description)
        }
    }
}
