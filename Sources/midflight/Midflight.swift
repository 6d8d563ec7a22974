import ArgumentParser
import HardwareCommands
import ModuleTools

/// The laptop-side CLI. `main` only wires: every command lives in a tested library.
@main
struct Midflight: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midflight",
        abstract: "Midflight's developer tool: debug I2C and GPIO on a board or on the simulated board.",
        discussion: "Use --board sim to talk to the simulated board; without --board the commands use this machine's /dev.",
        version: "0.1.0",
        subcommands: [ModuleCommand.self, KeysCommand.self, PushCommand.self, FirmwareCommand.self, ConsoleCommand.self, I2CCommand.self, GPIOCommand.self])
}
