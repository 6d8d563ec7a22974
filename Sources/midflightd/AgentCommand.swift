#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Boards
import Hardware
import HardwareCommands
import Synchronization

/// Set by SIGINT: stops the running console command, never the agent.
let interruptRequested = Atomic<Bool>(false)

/// `midflightd [--simulate] [--board NAME]`: bring up the board's hardware and the
/// console. (Supervised services, SSH and updates come with their own issues.)
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the agent (the default).")

    @Flag(name: .long, help: "Use the simulated board (board/sim) with the console on stdin/stdout.")
    var simulate = false

    @Option(name: .long, help: "Board name or folder; default sim with --simulate.")
    var board: String?

    @Flag(name: .long, help: "Do not attach the console to stdin/stdout.")
    var noConsole = false

    func run() throws {
        let boardName = board ?? (simulate ? "sim" : nil)
        guard let boardName else {
            Terminal.writeError("midflightd: name a board with --board NAME, or use --simulate")
            throw ExitCode(2)
        }
        let description: BoardDescription
        do {
            description = try BoardLocator.standard().load(boardName)
        } catch {
            Terminal.writeError("midflightd: \(error)")
            throw ExitCode(2)
        }
        if simulate, case .linux = description.backend {
            Terminal.writeError("midflightd: --simulate needs a simulated board; \(description.name) is a Linux board")
            throw ExitCode(2)
        }
        let backend = description.makeBackend()
        // Ctrl-C interrupts the current command (gpio mon, i2c dump --count); it does not stop the agent.
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }

        let context = CommandContext(
            backend: backend, allowsBoardSelection: false, output: Terminal.writeLine,
            shouldStop: { interruptRequested.load(ordering: .relaxed) },
            sleep: { Terminal.sleep(nanoseconds: $0, shouldStop: { interruptRequested.load(ordering: .relaxed) }) })
        Terminal.writeError("midflightd: board \(description.name) (\(backend.kind)) up")
        if noConsole {
            signal(SIGINT, SIG_DFL)
            while true { pause() }
        }
        let interpreter = ConsoleInterpreter(context: context)
        let interactive = Terminal.isInteractive
        while true {
            if interactive { Terminal.write("midflight> ", to: STDOUT_FILENO) }
            guard let line = readLine() else { break }
            interruptRequested.store(false, ordering: .relaxed)
            let trimmed = line.trimmingPrefixAndSuffix()
            if trimmed == "exit" || trimmed == "quit" { break }
            _ = interpreter.execute(trimmed)
        }
    }
}

extension String {
    func trimmingPrefixAndSuffix() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
