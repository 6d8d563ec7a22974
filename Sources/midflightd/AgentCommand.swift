#if canImport(Glibc)
import Glibc
#endif
import Agent
import AgentCommands
import ArgumentParser
import Boards
import Bundles
import RemoteAccess
import Hardware
import HardwareCommands
import LinuxHardware
import SimulatedHardware
import Synchronization

/// Set by SIGINT: stops the running console command, never the agent.
let interruptRequested = Atomic<Bool>(false)

/// `midflightd [--simulate] [--config FILE] [--data-dir DIR]`: bring up the board, the
/// supervised services and the console. `main` only wires; the agent lives in `Agent`.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the agent (the default).")

    @Flag(name: .long, help: "Use the simulated board (board/sim) with the console on stdin/stdout.")
    var simulate = false

    @Option(name: .long, help: "Board name or folder; default: the config's board.")
    var board: String?

    @Option(name: .long, help: "Agent config; default /etc/midflight/agent.json, or the board's agent.json with --simulate.")
    var config: String?

    @Option(name: .long, help: "Persisted state (parameters, modules); default /data/midflight, or ./.midflight-sim with --simulate.")
    var dataDir: String?

    @Option(name: .long, help: "Folder of trusted bundle-signing keys (*.pub); default /etc/midflight/trusted-keys.")
    var trustedKeys: String?

    @Option(name: .long, help: "SSH port (2222 when simulating, 22 otherwise).")
    var sshPort: Int?

    @Option(name: .long, help: "Address the SSH server listens on (127.0.0.1 when simulating, 0.0.0.0 otherwise).")
    var sshAddress: String?

    @Option(name: .long, help: "OpenSSH authorized_keys of who may log in; default /etc/midflight/authorized_keys, or ~/.ssh/authorized_keys when simulating.")
    var authorizedKeys: String?

    @Flag(name: .long, help: "Do not start the SSH server.")
    var noSSH = false

    @Flag(name: .long, help: "Do not attach the console to stdin/stdout.")
    var noConsole = false

    @Flag(name: .long, help: "Attach the console to stdin/stdout (the default; for scripts that say so).")
    var console = false

    func fail(_ message: String) -> ExitCode {
        Terminal.writeError("midflightd: \(message)")
        return ExitCode(2)
    }

    func run() throws {
        let locator = BoardLocator.standard()
        // The board first (for a simulated run its folder holds the default config).
        var boardDescription: BoardDescription?
        if let name = board ?? (simulate && config == nil ? "sim" : nil) {
            do {
                boardDescription = try locator.load(name)
            } catch {
                throw fail("\(error)")
            }
        }
        if simulate, let description = boardDescription, case .linux = description.backend {
            throw fail("--simulate needs a simulated board; \(description.name) is a Linux board")
        }
        let configPath = config ?? (simulate ? (boardDescription?.folder ?? "board/sim") + "/agent.json" : "/etc/midflight/agent.json")
        let agentConfig: AgentConfig
        do {
            agentConfig = try AgentConfig.load(configPath)
        } catch {
            throw fail("\(error)")
        }
        if boardDescription == nil {
            do {
                boardDescription = try locator.load(agentConfig.board)
            } catch {
                throw fail("\(error)")
            }
        }
        guard let boardDescription else { throw fail("no board") }
        if simulate, case .linux = boardDescription.backend {
            throw fail("--simulate needs a simulated board; \(boardDescription.name) is a Linux board")
        }
        let backend = boardDescription.makeBackend()
        let time: any SystemTime
        if let simulated = backend as? SimulatedBoard {
            time = SimulatedSystemTime(clock: simulated.clock)
        } else {
            time = LinuxSystemTime()
        }
        let store: DataStore
        do {
            store = try DataStore(root: dataDir ?? (simulate ? ".midflight-sim" : "/data/midflight"))
        } catch {
            throw fail("\(error)")
        }
        let log = LogBook(echo: { Terminal.writeError($0) })
        let trust = TrustStore(folder: trustedKeys ?? "/etc/midflight/trusted-keys")
        for problem in trust.problems { Terminal.writeError("midflightd: ignoring \(problem)") }
        let agent = AgentRuntime(config: agentConfig, backend: backend, time: time, store: store, log: log, trustedKeys: trust)
        // Ctrl-C interrupts the current console command; it does not stop the agent.
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }
        agent.start()
        var server: SSHServer?
        if !noSSH {
            let home = FileSystem.environment("HOME") ?? "/root"
            let keys = authorizedKeys ?? (simulate ? home + "/.ssh/authorized_keys" : "/etc/midflight/authorized_keys")
            let port = sshPort ?? (simulate ? 2222 : 22)
            guard (0...65535).contains(port) else { throw fail("--ssh-port must be 0-65535") }
            if FileSystem.exists(keys) {
                do {
                    server = try SSHServer(
                        agent: agent, host: sshAddress ?? (simulate ? "127.0.0.1" : "0.0.0.0"), port: port,
                        authorizedKeysFile: keys, dataDirectory: store.root)
                    Terminal.writeError("midflightd: SSH on port \(server?.port ?? port) for the keys in \(keys)")
                } catch {
                    Terminal.writeError("midflightd: SSH not started: \(error)")
                }
            } else {
                Terminal.writeError("midflightd: SSH not started: no \(keys)")
            }
        }
        Terminal.writeError("midflightd: board \(boardDescription.name) (\(backend.kind)), \(agentConfig.services.count) services, data in \(store.root)")

        if noConsole, console {
            throw fail("--console and --no-console contradict each other")
        }
        if noConsole {
            signal(SIGINT, SIG_DFL)
            while true { pause() }
        }
        let context = CommandContext(
            backend: backend, allowsBoardSelection: false, output: Terminal.writeLine,
            shouldStop: { interruptRequested.load(ordering: .relaxed) },
            sleep: { Terminal.sleep(nanoseconds: $0, shouldStop: { interruptRequested.load(ordering: .relaxed) }) },
            agent: agent)
        let interpreter = ConsoleInterpreter(context: context, groups: agentConsoleGroups)
        let interactive = Terminal.isInteractive
        while true {
            if interactive { Terminal.write("midflight> ", to: STDOUT_FILENO) }
            guard let line = readLine() else { break }
            interruptRequested.store(false, ordering: .relaxed)
            let trimmed = line.trimmingPrefixAndSuffix()
            if trimmed == "exit" || trimmed == "quit" { break }
            _ = interpreter.execute(trimmed)
        }
        server?.shutdown()
        agent.shutdown()
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
