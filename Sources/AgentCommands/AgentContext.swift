import Hardware
import HardwareCommands
import Updates

/// Where an agent console command runs: the console it writes to and the running agent it
/// acts on, both typed, so no command has to look for the agent.
public struct AgentContext {
    public let console: CommandContext
    public let agent: RunningAgent

    public init(console: CommandContext, agent: RunningAgent) {
        self.console = console
        self.agent = agent
    }

    /// Writes one line of output.
    public func write(_ line: String) {
        console.write(line)
    }

    /// Checked by long-running commands (`watch`, `log -f`): Ctrl-C.
    public var shouldStop: () -> Bool { console.shouldStop }

    /// Sleeps, returning early if the command should stop.
    public var sleep: (UInt64) -> Void { console.sleep }
}

/// A console command that acts on the running agent.
public protocol AgentConsoleCommand {
    func execute(in context: AgentContext) throws
}
