import Bundles
import Crypto
import Foundation
import Testing

/// Whether this machine can start Debian's sshd for the tests (root, openssh-server installed).
let boardSSHDCanRun = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")

/// The board's own door: Debian's OpenSSH `sshd`, started by the test on a loopback port
/// with its own host key and config, runs `midflight-shell` for the key
/// (`command="…midflight-shell"` in `authorized_keys`), which reaches `midflightd` through
/// its control socket. The laptop side is the stock `ssh` and `midflight`, unchanged.
@Suite(.serialized, .enabled(if: boardSSHDCanRun, "needs Debian's openssh-server and root (sshd's privilege separation)"))
struct BoardSSHDoorTests {
    static let sshd = "/usr/sbin/sshd"

    let folder: String = {
        let path = NSTemporaryDirectory() + "mf-door-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path + "/trusted", withIntermediateDirectories: true)
        return path
    }()

    struct Door {
        let agent: ConsoleSession
        let sshdPidFile: String
        let port: Int

        func stopSSHD() {
            if let text = try? String(contentsOfFile: sshdPidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGTERM)
            }
        }

        func finish() {
            stopSSHD()
            agent.finish()
        }
    }

    /// A port nothing listens on now, below the kernel's ephemeral range (32768 on), so a
    /// server of another test given "any port" cannot be handed it meanwhile.
    static func freePort() -> Int {
        while true {
            let port = Int.random(in: 20_000..<30_000)
            if !listens(port) { return port }
        }
    }

    static func listens(_ port: Int) -> Bool {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    func key(_ name: String) throws -> String {
        let path = folder + "/" + name
        if !FileManager.default.fileExists(atPath: path) {
            try run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
        }
        return path
    }

    /// `midflightd --simulate --no-ssh` with its control socket, and sshd in front of it.
    func door(signingKey: Curve25519.Signing.PrivateKey? = nil) throws -> Door {
        if let signingKey {
            try SigningKeys.publicText(signingKey.publicKey, comment: "ci").write(toFile: folder + "/trusted/ci.pub", atomically: true, encoding: .utf8)
        }
        let socket = folder + "/control"
        let agent = try ConsoleSession(arguments: [
            "--simulate", "--no-ssh", "--data-dir", folder + "/data", "--control-socket", socket, "--trusted-keys", folder + "/trusted",
        ])
        #expect(agent.waitFor("control socket \(socket)", in: \.stderr, timeout: 20) != nil, "\(agent.stderr)")
        let shell = ConsoleSession.executables.appendingPathComponent("midflight-shell").path
        let clientKey = try String(contentsOfFile: try key("client") + ".pub", encoding: .utf8)
        try "command=\"\(shell)\",no-port-forwarding,no-agent-forwarding,no-X11-forwarding \(clientKey)"
            .write(toFile: folder + "/authorized_keys", atomically: true, encoding: .utf8)
        let port = Self.freePort()
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(try key("host"))
            PidFile \(folder)/sshd.pid
            AuthorizedKeysFile \(folder)/authorized_keys
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            SetEnv MIDFLIGHT_CONTROL=\(socket)
            Subsystem module-push \(shell) --subsystem module-push

            """.write(toFile: folder + "/sshd_config", atomically: true, encoding: .utf8)
        // sshd's privilege separation wants its empty directory.
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        // Daemonized as on a board (it detaches and writes its pid file): Foundation's child
        // watcher would otherwise block on it and never see the ssh clients end.
        let started = try run([Self.sshd, "-f", folder + "/sshd_config", "-E", folder + "/sshd.log"])
        #expect(started.status == 0, "\(started.error)")
        // Ready when it listens.
        // A loop that stops at the first answer: every probe is a connection sshd counts.
        var tries = 0
        while !Self.listens(port), tries < 200 {
            tries += 1
            usleep(50_000)
        }
        #expect(Self.listens(port), "sshd does not listen: \((try? String(contentsOfFile: folder + "/sshd.log", encoding: .utf8)) ?? "")")
        return Door(agent: agent, sshdPidFile: folder + "/sshd.pid", port: port)
    }

    func ssh(_ port: Int, _ extra: [String] = []) throws -> [String] {
        ["ssh", "-p", String(port), "-i", try key("client"), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=\(folder)/known_hosts", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"] + extra
    }

    @Test func oneShotCommandsAndTheConsoleWorkThroughTheBoardsOwnSSHD() throws {
        let door = try door()
        defer { door.finish() }
        let services = try run(try ssh(door.port) + ["root@127.0.0.1", "services"])
        #expect(services.status == 0, "\(services.output) \(services.error)")
        #expect(services.output.contains("flow     pulse-counter  1.0.0    running"), "\(services.output)")
        let missing = try run(try ssh(door.port) + ["root@127.0.0.1", "status ghost"])
        #expect(missing.status == 1 && missing.output.contains("error: no service 'ghost'"), "\(missing.output)")
        // The interactive console: a pty from sshd, the terminal edits the line.
        let console = try run(try ssh(door.port, ["-tt"]) + ["root@127.0.0.1"], input: Data("status flow\nexit\n".utf8))
        #expect(console.output.contains("Midflight console on sim"), "\(console.output)")
        #expect(console.output.contains("flow: pulse-counter 1.0.0, running"), "\(console.output)")
        #expect(console.status == 0)
        // The core logged who came in through its socket.
        #expect(door.agent.waitFor("control: connection from uid 0 (root)", in: \.stderr, timeout: 5) != nil, "\(door.agent.stderr)")
    }

    @Test func pushesGoThroughTheBoardsOwnSSHDAndSayTheVerdict() throws {
        let signing = Curve25519.Signing.PrivateKey()
        let door = try door(signingKey: signing)
        defer { door.finish() }
        try SigningKeys.privateText(signing).write(toFile: folder + "/signing-key", atomically: true, encoding: .utf8)
        let midflight = ConsoleSession.executables.appendingPathComponent("midflight").path
        let options = ["-p", String(door.port), "-i", try key("client"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=\(folder)/known_hosts",
                       "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "--key", folder + "/signing-key", "root@127.0.0.1"]
        // `midflight push` unchanged: signs, streams, waits for the probation verdict.
        let push = try run([midflight, "push"] + options + [try FixtureModules.path("pulse-counter-v2")])
        #expect(push.status == 0, "\(push.output) \(push.error)")
        #expect(push.output.contains("pulse-counter 1.0.0 → 1.1.0: swapped 1 service") && push.output.contains("passed its 2 s probation"), "\(push.output)")
        // A version whose code_change traps is refused, the reason on standard error, exit 1.
        let refused = try run([midflight, "push", "--no-wait"] + options + [try FixtureModules.path("pulse-counter-v3")])
        #expect(refused.status == 1, "\(refused.output) \(refused.error)")
        #expect(refused.error.contains("refused: pulse-counter 1.2.0 crashed in code_change"), "\(refused.error)")
        // `ssh -s DEVICE module-push` where the board's sshd has the Subsystem line: an unsigned module is refused.
        let unsigned = try run(try ssh(door.port, ["-s"]) + ["root@127.0.0.1", "module-push"], input: Data([UInt8](repeating: 0x61, count: 100)))
        // (sshd drops a subsystem's standard error: the refusal comes on standard output.)
        #expect(unsigned.status == 1 && unsigned.output.contains("refused: not a Midflight bundle (bad magic)"), "\(unsigned.output)")
        let history = try run(try ssh(door.port) + ["root@127.0.0.1", "module history pulse-counter"])
        #expect(history.output == "1.0.0  replaced by 1.1.0\n1.1.0  active\n", "\(history.output)")
    }

    @Test func aDeadAgentIsSaidNotHung() throws {
        let door = try door()
        door.agent.finish()
        defer { door.stopSSHD() }
        let result = try run(try ssh(door.port) + ["root@127.0.0.1", "services"])
        #expect(result.status == 2 && result.error.contains("midflight-shell: cannot reach the agent at"), "\(result.error)")
    }
}
