#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Synchronization

/// `midflight-shell`: the agent's console, pushes and firmware streams behind a board's own
/// OpenSSH `sshd` or dropbear (`command="midflight-shell"` in `authorized_keys`, a
/// `ForceCommand`, or `Subsystem module-push /usr/bin/midflight-shell module-push`), and on
/// the board itself. What to do comes from the arguments or, under sshd, from
/// `SSH_ORIGINAL_COMMAND`: nothing is the interactive console, `module-push [OPTIONS]` and
/// `fwup [OPTIONS]` read a bundle on standard input, anything else is one console command.
/// `--subsystem` (on a `Subsystem` line) sends refusals to standard output, as sshd drops
/// a subsystem's standard error. The socket comes from `--socket` or `MIDFLIGHT_CONTROL`
/// only, never from the command a key sent.
@main
struct MidflightShell {
    static let defaultSocket = "/run/midflight/control"

    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var socket = environment("MIDFLIGHT_CONTROL") ?? defaultSocket
        if arguments.first == "--socket", arguments.count >= 2 {
            socket = arguments[1]
            arguments.removeFirst(2)
        }
        if arguments.first == "--subsystem" {
            errorsToOutput = true
            arguments.removeFirst()
        }
        if arguments.first == "--help" || arguments.first == "-h" {
            emit("usage: midflight-shell [--socket PATH] [COMMAND…]\n  (no command: the interactive console; module-push and fwup read a bundle on standard input)\n")
            exit(0)
        }
        var words = arguments
        if words.isEmpty, let original = environment("SSH_ORIGINAL_COMMAND") {
            words = original.split(separator: " ").map(String.init)
            // A `Subsystem NAME /usr/bin/midflight-shell --subsystem NAME` line under a forced
            // command: the program's own path and `--subsystem` come first.
            if let first = words.first, first.hasSuffix("midflight-shell") { words.removeFirst() }
            if words.first == "--subsystem" {
                errorsToOutput = true
                words.removeFirst()
            }
        }
        let client: ControlClient
        do {
            client = try ControlClient(path: socket)
        } catch {
            fail("midflight-shell: cannot reach the agent at \(socket): \(error)", status: 2)
        }
        do {
            switch words.first {
            case nil:
                exit(try console(client))
            case "module-push":
                exit(try client.upload(.push, options: words.dropFirst().joined(separator: " "), from: STDIN_FILENO, write: write))
            case "fwup":
                exit(try client.upload(.firmware, options: words.dropFirst().joined(separator: " "), from: STDIN_FILENO, write: write))
            default:
                catchInterrupts()
                exit(try client.run(words.joined(separator: " "), write: write, interrupted: takeInterrupt))
            }
        } catch {
            fail("midflight-shell: \(error)", status: 1)
        }
    }

    /// The interactive console: a line at a time (the terminal edits it), Ctrl-C stops
    /// the command running, Ctrl-D or `exit` leaves.
    static func console(_ client: ControlClient) throws(ControlProtocolError) -> Int32 {
        for line in client.banner { emit(line + "\n") }
        catchInterrupts()
        let interactive = isatty(STDIN_FILENO) == 1
        while true {
            if interactive { emit("midflight> ") }
            guard let line = readLine() else { break }
            let trimmed = line.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            if trimmed == "exit" || trimmed == "quit" { break }
            if trimmed.isEmpty { continue }
            // A Ctrl-C at the prompt is not for the command that comes next.
            _ = takeInterrupt()
            _ = try client.run(trimmed, write: write, interrupted: takeInterrupt)
        }
        return 0
    }

    static func write(_ kind: ControlFrame.Kind, _ bytes: [UInt8]) {
        write(bytes, to: kind == .error && !errorsToOutput ? STDERR_FILENO : STDOUT_FILENO)
    }

    /// Text straight to a descriptor (no stdio buffer to flush before a prompt or an exit).
    static func emit(_ text: String, to descriptor: Int32 = STDOUT_FILENO) {
        write(Array(text.utf8), to: descriptor)
    }

    static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Ctrl-C (SIGINT) only sets a flag, which the wait for the agent reads every 100 ms
    /// and passes on; reads of the terminal restart (SA_RESTART), so the prompt stays.
    static func catchInterrupts() {
        _ = interrupted.load(ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interrupted.store(true, ordering: .relaxed) }
        action.sa_flags = Int32(SA_RESTART)
        sigaction(SIGINT, &action, nil)
    }

    static func takeInterrupt() -> Bool {
        interrupted.exchange(false, ordering: .relaxed)
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    static func fail(_ message: String, status: Int32) -> Never {
        emit(message + "\n", to: STDERR_FILENO)
        exit(status)
    }
}

/// Set by the SIGINT handler, read by the receive loop.
let interrupted = Atomic(false)

/// Run as an sshd `Subsystem`, whose standard error sshd does not pass on. Set once, at start.
nonisolated(unsafe) var errorsToOutput = false
