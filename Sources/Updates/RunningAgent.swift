import Agent

/// What the consoles and the SSH server reach on a board: the agent (through its handle)
/// and the parts that run beside it, each optional as boards differ. Made once by
/// `midflightd` after all of them; immutable.
public final class RunningAgent: Sendable {
    public let handle: AgentHandle
    /// Signed module bundles, verified and swapped in.
    public let modulePush: ModulePush
    /// The A/B firmware side, on boards with slots.
    public let firmware: FirmwareManager?
    /// The hardware watchdog's feeder, on boards with one.
    public let watchdog: Watchdog?
    /// Reboots the board (on the simulated board: the bootloader model, then a fresh agent).
    public let reboot: (@Sendable (String) -> Void)?

    public init(
        handle: AgentHandle, modulePush: ModulePush, firmware: FirmwareManager?, watchdog: Watchdog?, reboot: (@Sendable (String) -> Void)?
    ) {
        self.handle = handle
        self.modulePush = modulePush
        self.firmware = firmware
        self.watchdog = watchdog
        self.reboot = reboot
    }
}
