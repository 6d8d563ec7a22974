#if canImport(Glibc)
import Glibc
#endif
import Agent
import ArgumentParser
import Boards
import Bundles
import Firmware
import HardwareCommands
import Updates

/// `midflightd install BUNDLE`: installs a firmware bundle into the inactive slot without
/// the agent (as `rauc install` does), for a bundle on a USB stick or a recovery shell.
/// The same installer as the console's `fw install` and the `fwup` subsystem.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Install a firmware bundle into the inactive slot (the agent need not run).")

    @Flag(name: .long, help: "The simulated board's slots and environment (in --data-dir).") var simulate = false
    @Option(name: .long, help: "Board name or folder; default: sim with --simulate, else /etc/midflight/agent.json's.") var board: String?
    @Option(name: .long, help: "Persisted state; default /data/midflight, or ./.midflight-sim with --simulate.") var dataDir: String?
    @Option(name: .long, help: "Folder of trusted signing keys (*.pub); default /etc/midflight/trusted-keys.") var trustedKeys: String?
    @Flag(name: .long, help: "Accept a version older than the running one.") var allowDowngrade = false
    @Argument(help: "The .fw bundle, or - for standard input.") var bundle: String

    func run() throws {
        do {
            let locator = BoardLocator.standard()
            let name: String
            if let board {
                name = board
            } else if simulate {
                name = "sim"
            } else {
                name = try AgentConfig.load("/etc/midflight/agent.json").board
            }
            let description = try locator.load(name)
            let store = try DataStore(root: dataDir ?? (simulate ? ".midflight-sim" : "/data/midflight"))
            let trust = TrustStore(folder: trustedKeys ?? "/etc/midflight/trusted-keys")
            let log = LogBook(echo: { Terminal.writeError($0) })
            guard let manager = try AgentCommand.firmwareManager(
                board: description, boot: nil, simulated: simulate, settings: TrialSettings(), store: store, trust: trust,
                log: log, mendsEnvironment: false)
            else {
                throw CommandFailure("board \(description.name) has no firmware slots")
            }
            let installer = try manager.beginInstall(allowDowngrade: allowDowngrade)
            defer { manager.endInstall(installer) }
            let descriptor = bundle == "-" ? STDIN_FILENO : open(bundle, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw CommandFailure("cannot open \(bundle): \(String(cString: strerror(errno)))") }
            var chunk = [UInt8](repeating: 0, count: 256 << 10)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw CommandFailure("cannot read \(bundle): \(String(cString: strerror(errno)))") }
                if count == 0 { break }
                try installer.feed(chunk[0..<count])
            }
            try installer.finish()
            Terminal.writeLine(installer.phase.description)
        } catch let failure as CommandFailure {
            Terminal.writeError("midflightd: \(failure.message)")
            throw ExitCode(failure.exitStatus)
        } catch {
            Terminal.writeError("midflightd: refused: \(error)")
            throw ExitCode(1)
        }
    }
}
