import Boards
import Hardware
import SimulatedHardware

/// Where a hardware command runs: the board it talks to and where its output goes.
/// The command-line tools build one per invocation; the agent's console builds one per
/// session, so the same command code serves both.
public final class CommandContext: @unchecked Sendable {
    public let backend: any HardwareBackend
    /// Present when the board is simulated, for `sim …` commands.
    public let simulatedBoard: SimulatedBoard?
    /// Whether `--board` may choose another board (false inside the agent's console).
    public let allowsBoardSelection: Bool
    private let output: (String) -> Void
    /// Checked by long-running commands (`gpio mon`, `i2c dump --count`): Ctrl-C.
    public let shouldStop: () -> Bool
    /// Sleeps, returning early if the command should stop.
    public let sleep: (UInt64) -> Void

    public init(
        backend: any HardwareBackend, allowsBoardSelection: Bool, output: @escaping (String) -> Void,
        shouldStop: @escaping () -> Bool = { false }, sleep: @escaping (UInt64) -> Void
    ) {
        self.backend = backend
        simulatedBoard = backend as? SimulatedBoard
        self.allowsBoardSelection = allowsBoardSelection
        self.output = output
        self.shouldStop = shouldStop
        self.sleep = sleep
    }

    /// Writes one line of output.
    public func write(_ line: String) {
        output(line)
    }
}

/// A hardware command that runs against a context rather than a process.
public protocol ContextCommand {
    func execute(in context: CommandContext) throws
}

/// A command failure for people: one line, and the process exit status it maps to.
public struct CommandFailure: Error, CustomStringConvertible {
    public var message: String
    public var exitStatus: Int32

    public init(_ message: String, exitStatus: Int32 = 1) {
        self.message = message
        self.exitStatus = exitStatus
    }

    public var description: String { message }
}
