import ArgumentParser
import HardwareCommands
import Updates

/// The agent's console (local, and over SSH): the agent's commands and the hardware ones.
public enum AgentConsole {
    /// The commands, by first word: the agent's, followed by the hardware ones.
    public static let groups: [(name: String, command: any ParsableCommand.Type)] = [
        ("services", ServicesCommand.self), ("status", StatusCommand.self), ("watch", WatchCommand.self), ("restart", RestartCommand.self),
        ("stop", StopCommand.self), ("start", StartCommand.self), ("params", ParamsCommand.self), ("set", SetCommand.self),
        ("get", GetCommand.self), ("call", CallCommand.self), ("log", LogCommand.self), ("modules", ModulesCommand.self),
        ("module", ModuleAgentCommand.self), ("time", TimeCommand.self), ("fw", FirmwareAgentCommand.self), ("reboot", RebootCommand.self),
        ("watchdog", WatchdogCommand.self),
    ] + ConsoleInterpreter.hardwareGroups

    /// What a new console session is told first: the board, the firmware, and any
    /// problem with the stored state.
    public static func banner(of agent: RunningAgent) -> [String] {
        ["Midflight console on \(agent.handle.config.board). Type help; Ctrl-D leaves."]
            + (agent.firmware.map { [$0.banner()] } ?? [])
            + agent.handle.dataProblems.withLock { $0 }.map { "stored state: \($0)" }
    }

    /// An interpreter of console lines that runs the agent's commands against `agent` and
    /// the hardware ones against `context`'s board.
    public static func interpreter(context: CommandContext, agent: RunningAgent) -> ConsoleInterpreter {
        let agentContext = AgentContext(console: context, agent: agent)
        return ConsoleInterpreter(context: context, groups: groups) { parsed in
            guard let command = parsed as? any AgentConsoleCommand else { return false }
            try command.execute(in: agentContext)
            return true
        }
    }
}
