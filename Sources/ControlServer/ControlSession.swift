#if canImport(Glibc)
import Glibc
#endif
import Agent
import AgentCommands
import Bundles
import ControlProtocol
import Firmware
import HardwareCommands
import Platform
import Synchronization
import Updates

/// One control connection, on its own thread: the handshake, then console lines (each run
/// on a thread of its own, so this one still reads Ctrl-C), module pushes and firmware
/// streams, one at a time. A frame out of turn, or a malformed one, ends this connection
/// only; a client gone in the middle of an upload leaves nothing installed.
final class ControlSession {
    /// How long an upload may pause between frames before the connection is given up (and
    /// with it the install lock, for a firmware stream).
    static let uploadPauseMilliseconds: Int32 = 60_000

    private let connection: ControlConnection
    private let agent: RunningAgent
    private let peer: PeerCredentials
    /// Frames to the client, from this thread or a command's; a send that times out (the
    /// client stopped reading) ends the connection.
    private let writer: ControlWriter

    init(connection: ControlConnection, agent: RunningAgent, peer: PeerCredentials) {
        self.connection = connection
        self.agent = agent
        self.peer = peer
        writer = ControlWriter(descriptor: connection.descriptor)
    }

    func serve() {
        do throws(ControlProtocolError) {
            try handshake()
            var next: ControlFrame?
            while true {
                let frame: ControlFrame
                if let pending = next { frame = pending } else { frame = try connection.receive() }
                next = nil
                switch frame.kind {
                case .run: next = try run(frame.text)
                case .push: try push(options: words(frame.text))
                case .firmware: try install(options: words(frame.text))
                case .interrupt: continue
                default: throw .unexpected(frame.kind, expected: "run, push or firmware")
                }
            }
        } catch {
            switch error {
            case .closed(midFrame: false), .refused: break
            default:
                agent.handle.log.add(.warning, "closed the connection of \(peer): \(error)", service: ControlServer.logSource)
                writer.send(.refused, text: "\(error)")
            }
        }
        writer.close()
    }

    private func words(_ text: String) -> Set<String> {
        Set(text.split(separator: " ").map(String.init))
    }

    private func handshake() throws(ControlProtocolError) {
        let hello = try connection.receive()
        guard hello.kind == .hello else { throw .unexpected(hello.kind, expected: "hello") }
        guard hello.text == ControlFrame.greeting else { throw .versionMismatch(hello.text) }
        let banner = [ControlFrame.greeting] + AgentConsole.banner(of: agent)
        writer.send(.welcome, text: banner.joined(separator: "\n"))
    }

    // MARK: Console lines

    /// Runs `line` on a thread of its own; this thread reads Ctrl-C meanwhile. Returns the
    /// client's next request if it came before this thread saw the command end.
    private func run(_ line: String) throws(ControlProtocolError) -> ControlFrame? {
        let (agent, writer, stop, done) = (self.agent, self.writer, StopFlag(), StopFlag())
        let started = spawnThread {
            let context = CommandContext(
                backend: agent.handle.backend, allowsBoardSelection: false,
                output: { text in if !writer.send(.output, text: text + "\n") { stop.set() } },
                shouldStop: { stop.isSet || writer.isBroken },
                sleep: { stop.sleep($0, alsoStopWhen: { writer.isBroken }) })
            let status = AgentConsole.interpreter(context: context, agent: agent).execute(line)
            // Done first: the client sends its next request only after the exit, and the
            // session's thread must then take it as a request, not as out of turn.
            done.set()
            writer.send(.exit, text: String(status))
        }
        guard started else {
            writer.send(.error, text: "error: no thread to run the command\n")
            writer.send(.exit, text: "1")
            return nil
        }
        defer {
            if writer.isBroken {
                agent.handle.log.add(
                    .warning, "dropped \(peer): it stopped reading the output of '\(line.prefix(40))'", service: ControlServer.logSource)
            }
        }
        // Until the command's exit is sent: Ctrl-C stops it; a client gone stops it too.
        while !done.isSet {
            let frame: ControlFrame
            do {
                frame = try connection.receive(timeoutMilliseconds: 50)
            } catch .timedOut {
                continue
            } catch {
                stop.set()
                throw error
            }
            guard frame.kind == .interrupt else {
                if done.isSet { return frame }
                stop.set()
                throw .unexpected(frame.kind, expected: "interrupt while a command runs")
            }
            stop.set()
        }
        return nil
    }

    // MARK: Uploads

    /// A module bundle, read whole (up to the bundle limit), then pushed like `module push`.
    private func push(options: Set<String>) throws(ControlProtocolError) {
        var bundle: [UInt8] = []
        while true {
            let frame = try connection.receive(timeoutMilliseconds: Self.uploadPauseMilliseconds)
            if frame.kind == .end { break }
            guard frame.kind == .data else { throw .unexpected(frame.kind, expected: "data or end") }
            bundle += frame.payload
            guard bundle.count <= ModuleBundle.maximumSize else {
                finish(refused: "bundle is larger than the \(ModuleBundle.maximumSize)-byte limit")
                throw .refused("bundle too large")
            }
        }
        let outcome: (line: String, status: Int)
        do {
            // Swapped but not stored, or rolled back on probation, is not a success.
            let report = try agent.modulePush.push(bundle, allowDowngrade: options.contains("--allow-downgrade"))
            let result = report.outcome(options.contains("--no-wait") ? nil : agent.handle.awaitProbation(of: report))
            outcome = (result.line, result.succeeded ? 0 : 1)
        } catch {
            outcome = ("refused: \(error)", 1)
        }
        writer.send(outcome.status == 0 ? .output : .error, text: outcome.line + "\n")
        writer.send(.exit, text: String(outcome.status))
    }

    /// A firmware bundle streamed into the other slot as it comes; nothing is committed
    /// until the whole image verifies, and a client gone part-way leaves the slot unarmed.
    private func install(options: Set<String>) throws(ControlProtocolError) {
        guard let firmware = agent.firmware else {
            return try refuseUpload("this board has no firmware slots")
        }
        let installer: FirmwareInstaller
        do {
            installer = try firmware.beginInstall(allowDowngrade: options.contains("--allow-downgrade"))
        } catch {
            return try refuseUpload(error.description)
        }
        var committed = false
        defer { if !committed { firmware.endInstall(installer) } }
        do {
            while true {
                let frame = try connection.receive(timeoutMilliseconds: Self.uploadPauseMilliseconds)
                if frame.kind == .end { break }
                guard frame.kind == .data else { throw ControlProtocolError.unexpected(frame.kind, expected: "data or end") }
                try installer.feed(frame.payload[...])
            }
            try installer.finish()
        } catch let refusal as FirmwareRefusal {
            finish(refused: refusal.description)
            throw .refused(refusal.description)
        } catch let error as ControlProtocolError {
            throw error
        } catch {
            throw .refused("\(error)")
        }
        firmware.endInstall(installer)
        committed = true
        writer.send(.output, text: installer.phase.description + "\n")
        writer.send(.exit, text: "0")
        if options.contains("--reboot"), let reboot = agent.reboot { reboot("fwup --reboot over the control socket") }
    }

    /// Refuses an upload before reading it: the rest is read and dropped, then the answer.
    private func refuseUpload(_ reason: String) throws(ControlProtocolError) {
        while true {
            let frame = try connection.receive(timeoutMilliseconds: Self.uploadPauseMilliseconds)
            if frame.kind == .end { break }
            guard frame.kind == .data else { throw .unexpected(frame.kind, expected: "data or end") }
        }
        writer.send(.error, text: "refused: \(reason)\n")
        writer.send(.exit, text: "1")
    }

    /// Refuses an upload part-way: the answer goes now, and the connection closes (the
    /// client reads it after its next send fails).
    private func finish(refused reason: String) {
        writer.send(.error, text: "refused: \(reason)\n")
        writer.send(.exit, text: "1")
    }
}
