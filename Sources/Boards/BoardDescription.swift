import Hardware
import LinuxHardware
import SimulatedHardware

/// A board folder's facts, loaded from its `board.json`: which backend, which buses,
/// chips and lines, and where its other files are.
public struct BoardDescription: Hashable, Sendable {
    public enum Backend: Hashable, Sendable {
        case simulated(SimulatedBoardSpec)
        /// Real `/dev` nodes; the lists say what the board is expected to have.
        case linux(buses: [Int], chips: [String])
    }

    public var name: String
    public var summary: String
    /// The folder the board file came from.
    public var folder: String
    public var backend: Backend
    /// `fw_env.config` for the boot environment, if the board has one (path in the folder).
    public var bootEnvironmentConfig: String?
    /// The hardware watchdog device, if the board has one (relative: a file in the agent's
    /// data folder, for the simulated board).
    public var watchdog: String?
    /// The A/B slots, if the board takes firmware updates.
    public var firmware: Firmware?
    /// Line names the board gives (`gpiochip0` → offset → name), for docs and lookups.
    public var lineNames: [String: [Int: String]]

    /// A board's firmware slots: `a` and `b` device paths (relative ones are files in the
    /// agent's data folder, for the simulated board), their usable size, and the size of a
    /// file-backed environment when the board has no `bootEnv`.
    public struct Firmware: Hashable, Sendable {
        public var slots: [String: String]
        public var slotSize: Int?
        public var environmentSize: Int

        public init(slots: [String: String], slotSize: Int?, environmentSize: Int) {
            self.slots = slots
            self.slotSize = slotSize
            self.environmentSize = environmentSize
        }
    }

    /// Builds the hardware this board describes. `clock` is used by simulated boards.
    public func makeBackend(clock: any SimulationClock = SystemClock()) -> any HardwareBackend {
        switch backend {
        case .simulated(let spec):
            return SimulatedBoard(spec, clock: clock)
        case .linux(let buses, let chips):
            return LinuxBoard(buses: buses.isEmpty ? nil : buses, chips: chips.isEmpty ? nil : chips)
        }
    }
}
