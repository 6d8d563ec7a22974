#if canImport(Glibc)
import Glibc
#endif
import Agent
import AgentCommands
import ArgumentParser
import Boards
import CLinux
import ControlServer
import Bundles
import Firmware
import RemoteAccess
import Hardware
import HardwareCommands
import LinuxHardware
import SimulatedHardware
import Synchronization
import Platform
import Updates

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

    @Option(name: .long, help: "The local control socket for front-ends (midflight-shell, midflight console); default /run/midflight/control, or control in the data folder with --simulate.")
    var controlSocket: String?

    @Flag(name: .long, help: "Do not open the local control socket.")
    var noControlSocket = false

    @Flag(name: .long, help: "Do not attach the console to stdin/stdout.")
    var noConsole = false

    @Flag(name: .long, help: "Attach the console to stdin/stdout (the default; for scripts that say so).")
    var console = false

    func fail(_ message: String) -> ExitCode {
        Terminal.writeError("midflightd: \(message)")
        return ExitCode(2)
    }

    func run() throws {
        // SIGTERM (a service manager stopping us) ends the agent cleanly and SIGHUP re-reads
        // the keys: blocked in every thread from here on, and taken by one thread once the agent runs.
        var stopSignals = Self.stopSignals()
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
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
        let store: DataStore
        do {
            store = try DataStore(root: dataDir ?? (simulate ? ".midflight-sim" : "/data/midflight"))
        } catch {
            throw fail("\(error)")
        }
        // Before anything is written: space a power cut left in temporary files comes back.
        let staleTemporaries = store.removeStaleTemporaries()
        // A simulated board with slots is powered on: its bootloader model picks the slot.
        var simulatedBoot: SimulatedBoot?
        if simulate, let description = boardDescription, description.firmware != nil {
            do {
                simulatedBoot = try SimulatedBoot.powerOn(board: description, dataDirectory: store.root)
            } catch {
                throw fail("\(error)")
            }
            Terminal.writeError("midflightd: \(simulatedBoot?.message ?? "")")
        }
        var configPath = config ?? (simulate ? (boardDescription?.folder ?? "board/sim") + "/agent.json" : "/etc/midflight/agent.json")
        var configRoot: String?
        if config == nil, let boot = simulatedBoot, let description = boardDescription {
            do {
                configPath = try boot.configPath(board: description)
                configRoot = boot.root
            } catch {
                Self.panic("\(error)", dataDirectory: store.root)
            }
        }
        let agentConfig: AgentConfig
        do {
            agentConfig = try AgentConfig.load(configPath, root: configRoot)
        } catch {
            if configRoot != nil { Self.panic("\(error)", dataDirectory: store.root) }
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
        let log = LogBook(echo: { Terminal.writeError($0) })
        for path in staleTemporaries { log.add(.warning, "removed \(path), left by an interrupted write") }
        for note in simulatedBoot?.notes ?? [] { log.add(.error, note) }
        let trust = TrustStore(folder: trustedKeys ?? "/etc/midflight/trusted-keys")
        for problem in trust.problems { Terminal.writeError("midflightd: ignoring \(problem)") }
        let agent = AgentHandle(config: agentConfig, backend: backend, time: time, store: store, log: log)
        var found: FirmwareManager?
        do {
            found = try Self.firmwareManager(
                board: boardDescription, boot: simulatedBoot, simulated: simulate, settings: agentConfig.firmware, store: store,
                trust: trust, log: log)
        } catch {
            if simulate { throw fail("\(error)") }
            // The services still run; only updates are off, and the log says why.
            Terminal.writeError("midflightd: firmware updates off: \(error)")
        }
        let firmware = found
        var feeder: Watchdog?
        if let device = boardDescription.watchdog {
            let path = device.hasPrefix("/") ? device : store.root + "/" + device
            if simulate, !FileSystem.exists(path) { _ = try? FileSystem.writeAtomically([], to: path) }
            do {
                // Fed only while the agent's loop (its supervisor) comes round: a stuck loop stops the feed.
                feeder = try Watchdog(device: path, intervalSeconds: 1) { [weak agent] in
                    agent?.isLive() ?? false
                }
            } catch {
                Terminal.writeError("midflightd: \(error)")
            }
        }
        let lifecycle = AgentLifecycle(handle: agent, firmware: firmware, watchdog: feeder)
        let reboot: @Sendable (String) -> Void = { reason in
            // Off the caller's thread: a console command or the health gate asks, then returns.
            spawnThread {
                guard lifecycle.stop(.reboot) else { return }
                Terminal.writeError("midflightd: rebooting (\(reason))")
                if simulate { Self.restartProcess() }
                Self.rebootBoard()
            }
        }
        let running = RunningAgent(
            handle: agent, modulePush: ModulePush(handle: agent, trustedKeys: trust), firmware: firmware, watchdog: feeder, reboot: reboot)
        // Ctrl-C interrupts the current console command; it does not stop the agent.
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }
        if let firmware {
            Terminal.writeError("midflightd: \(firmware.banner())")
            do {
                try firmware.confirmBoot()
            } catch {
                log.add(.error, "firmware: cannot zero the boot count (this slot may be given up on after a reboot): \(error)")
            }
        }
        lifecycle.start(reboot: reboot)
        if !noControlSocket {
            let path = controlSocket ?? (simulate ? store.root + "/control" : "/run/midflight/control")
            // /run/midflight is tmpfiles.d's on a systemd board; made here where nothing made it.
            if !FileSystem.exists(FileSystem.parent(path)) { mkdir(FileSystem.parent(path), 0o755) }
            do {
                lifecycle.attach(try ControlServer(path: path, agent: running))
                Terminal.writeError("midflightd: control socket \(path)")
            } catch {
                Terminal.writeError("midflightd: no control socket: \(error)")
            }
        }
        // SSH starts now, or at a SIGHUP once its keys file has a usable key (as sshd's reload).
        var startSSH: (@Sendable () -> Void)?
        if !noSSH {
            let home = FileSystem.environment("HOME") ?? "/root"
            let keys = authorizedKeys ?? (simulate ? home + "/.ssh/authorized_keys" : "/etc/midflight/authorized_keys")
            let port = sshPort ?? (simulate ? 2222 : 22)
            guard (0...65535).contains(port) else { throw fail("--ssh-port must be 0-65535") }
            let (host, data) = (sshAddress ?? (simulate ? "127.0.0.1" : "0.0.0.0"), store.root)
            startSSH = {
                guard FileSystem.exists(keys) else { return Terminal.writeError("midflightd: SSH not started: no \(keys)") }
                do {
                    let server = try SSHServer(agent: running, host: host, port: port, authorizedKeysFile: keys, dataDirectory: data)
                    guard lifecycle.attach(server) else { return }
                    Terminal.writeError("midflightd: SSH on port \(server.port) for the keys in \(keys)")
                } catch {
                    Terminal.writeError("midflightd: SSH not started: \(error)")
                }
            }
            startSSH?()
        }
        let sshStarter = startSSH
        Terminal.writeError("midflightd: board \(boardDescription.name) (\(backend.kind)), \(agentConfig.services.count) services, data in \(store.root)")

        if noConsole, console {
            throw fail("--console and --no-console contradict each other")
        }
        lifecycle.markRunning()
        // Everything is up: a stop signal that came meanwhile waited, and is taken now.
        let trustFolder = trustedKeys ?? "/etc/midflight/trusted-keys"
        let signalTaker = spawnThread {
            var signals = Self.stopSignals()
            var received: Int32 = 0
            // SIGHUP re-reads the keys (as sshd and systemd's reload expect); SIGTERM stops.
            while sigwait(&signals, &received) == 0, received == SIGHUP {
                let trust = TrustStore(folder: trustFolder)
                for problem in trust.problems { log.add(.warning, "ignoring \(problem)") }
                // Both kinds of update from then on: module pushes and firmware installs.
                running.modulePush.replaceTrustedKeys(trust)
                firmware?.replaceTrustedKeys(trust)
                log.add(.info, "trusted keys re-read: \(trust.ids.count) (\(trust.ids.joined(separator: ", ")))")
                if let server = lifecycle.sshServer { server.reloadAuthorizedKeys() } else { sshStarter?() }
            }
            guard received == SIGTERM else { return }
            let stopped = lifecycle.stop(.signal) {
                Terminal.writeError("midflightd: stopping (SIGTERM)")
                // A stop that hangs still ends (SIGALRM's default action), after the store writer's 30 s.
                alarm(40)
            }
            if stopped { Glibc.exit(0) }
        }
        if !signalTaker {
            // No thread to take them: the signals' default action (end the process) is better than none.
            var stopSignals = Self.stopSignals()
            pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        }
        if noConsole {
            signal(SIGINT, SIG_DFL)
            while true { pause() }
        }
        let context = CommandContext(
            backend: backend, allowsBoardSelection: false, output: Terminal.writeLine,
            shouldStop: { interruptRequested.load(ordering: .relaxed) },
            sleep: { Terminal.sleep(nanoseconds: $0, shouldStop: { interruptRequested.load(ordering: .relaxed) }) })
        let interpreter = AgentConsole.interpreter(context: context, agent: running)
        let interactive = Terminal.isInteractive
        while true {
            if interactive { Terminal.write("midflight> ", to: STDOUT_FILENO) }
            guard let line = readLine() else { break }
            interruptRequested.store(false, ordering: .relaxed)
            let trimmed = line.trimmingPrefixAndSuffix()
            if trimmed == "exit" || trimmed == "quit" { break }
            _ = interpreter.execute(trimmed)
        }
        // A reboot or a stop signal got there first: it ends the process.
        guard lifecycle.stop(.consoleClosed) else { while true { pause() } }
    }
}

extension AgentCommand {
    /// The firmware side, on a board with slots: the slot running is the one the simulated
    /// bootloader picked, or else the kernel command line's `midflight.slot=` (for the
    /// simulated board, the one its last boot wrote), or the environment's `boot_slot`.
    static func firmwareManager(
        board: BoardDescription, boot: SimulatedBoot?, simulated: Bool, settings: TrialSettings, store: DataStore,
        trust: TrustStore, log: LogBook, mendsEnvironment: Bool = true
    ) throws(FirmwareRefusal) -> FirmwareManager? {
        let layout: FirmwareLayout
        let slot: FirmwareSlot
        if let boot {
            layout = boot.layout
            slot = boot.slot
        } else if let found = try FirmwareLayout.forBoard(
            board, dataDirectory: store.root, factoryVersion: FirmwareManager.factoryVersion)
        {
            layout = found
            // The simulated board's last boot left its "kernel command line" in the data folder.
            let cmdline = simulated ? store.root + "/cmdline" : "/proc/cmdline"
            let commandLine = String(decoding: (try? FileSystem.read(cmdline, limit: 4096)) ?? [], as: UTF8.self)
            if let word = commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix("midflight.slot=") }),
                let named = FirmwareSlot(rawValue: String(word.dropFirst("midflight.slot=".count)))
            {
                slot = named
            } else if !simulated {
                // Guessing from boot_slot could name the other slot (after fw revert, say) and
                // have an install overwrite the running root filesystem.
                throw FirmwareRefusal(.configuration, 
                    "the kernel command line has no midflight.slot=a|b, so the running slot is unknown; "
                        + "the boot script must pass it (see board/raspberrypi4/README.md). Firmware updates are off")
            } else {
                slot = try BootChooser(environment: layout.environment).state().bootSlot
                // A simulated board that never booted is taken as booted from there, once,
                // so that an install switching boot_slot does not move the running slot.
                if simulated {
                    try? FileSystem.writeAtomically(Array("midflight.slot=\(slot.rawValue)\n".utf8), to: cmdline)
                }
            }
        } else {
            return nil
        }
        return try FirmwareManager(
            board: board.name, layout: layout, runningSlot: slot, settings: settings, dataDirectory: store.root,
            trusted: trust, log: log, mendsEnvironment: mendsEnvironment)
    }

    /// The simulated kernel cannot run the slot: note why for the revert report, and reboot.
    static func panic(_ reason: String, dataDirectory: String) -> Never {
        Terminal.writeError("midflightd: boot failed: \(reason); rebooting")
        let path = dataDirectory + "/firmware.json"
        if var journal = try? FirmwareJournal.load(path) {
            journal.trialFailure = "boot failed: \(reason)"
            try? journal.save(path)
        }
        restartProcess()
    }


    /// The signals the signal thread takes: SIGTERM stops the agent cleanly, SIGHUP re-reads keys.
    static func stopSignals() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGHUP)
        return signals
    }

    /// A reboot of the simulated board: the process starts over (same pid, arguments and
    /// standard streams), which runs the bootloader model again.
    static func restartProcess() -> Never {
        // Nothing of this process's stop may fire in the next one.
        alarm(0)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        // The binary's own path, so the process keeps its name (exec of /proc/self/exe would be "exe").
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        execv(length > 0 ? path : Array("/proc/self/exe".utf8CString), &arguments)
        Terminal.writeError("midflightd: cannot restart: \(String(cString: strerror(errno)))")
        Glibc.exit(1)
    }

    /// A real board's reboot: data to disk first, then the kernel's restart.
    static func rebootBoard() -> Never {
        sync()
        _ = midflight_reboot()
        Terminal.writeError("midflightd: reboot failed: \(String(cString: strerror(errno))); exiting so the service manager restarts us")
        Glibc.exit(1)
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
