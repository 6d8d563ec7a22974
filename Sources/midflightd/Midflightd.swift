import Agent
import ArgumentParser
import HardwareCommands

/// The board agent. `main` only wires: parse options, build the parts, run.
@main
struct Midflightd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midflightd",
        abstract: "Midflight's board agent.",
        version: AgentVersion.current.description,
        subcommands: [AgentCommand.self, InstallCommand.self, I2CCommand.self, GPIOCommand.self, ContractCommand.self],
        defaultSubcommand: AgentCommand.self)
}
