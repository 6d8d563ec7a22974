import Bundles
import Crypto
import Foundation
import Testing

/// Debian's OpenSSH client against `midflightd --simulate` on loopback.
@Suite(.serialized) struct SSHEndToEndTests {
    let folder: String = {
        let path = NSTemporaryDirectory() + "midflight-ssh-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path + "/trusted", withIntermediateDirectories: true)
        return path
    }()

    func key(_ name: String) throws -> String {
        let path = folder + "/" + name
        if !FileManager.default.fileExists(atPath: path) {
            try run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
        }
        return path
    }

    /// The agent with SSH on a free port; returns the session and the port.
    func agent(signingKey: Curve25519.Signing.PrivateKey? = nil, options: String? = nil) throws -> (ConsoleSession, Int) {
        let clientKey = try String(contentsOfFile: try key("client") + ".pub", encoding: .utf8)
        try ((options.map { $0 + " " } ?? "") + clientKey).write(toFile: folder + "/authorized_keys", atomically: true, encoding: .utf8)
        if let signingKey {
            try SigningKeys.publicText(signingKey.publicKey, comment: "ci").write(toFile: folder + "/trusted/ci.pub", atomically: true, encoding: .utf8)
        }
        let session = try ConsoleSession(arguments: [
            "--simulate", "--data-dir", folder + "/data", "--ssh-port", "0", "--authorized-keys", folder + "/authorized_keys",
            "--trusted-keys", folder + "/trusted",
        ])
        let line = try #require(session.waitFor("SSH on port ", in: \.stderr, timeout: 20))
        let port = Int(line.components(separatedBy: "SSH on port ")[1].prefix { $0.isNumber }) ?? 0
        return (session, port)
    }

    func ssh(_ port: Int, identity: String? = nil, _ extra: [String] = []) throws -> [String] {
        ["ssh", "-p", String(port), "-i", try identity ?? key("client"), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=\(folder)/known_hosts", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"] + extra
    }

    @Test func oneShotCommandsReturnTheirExitStatus() throws {
        let (session, port) = try agent()
        defer { session.finish() }
        let services = try run(try ssh(port) + ["root@127.0.0.1", "services"])
        #expect(services.status == 0)
        #expect(services.output.contains("flow     pulse-counter  1.0.0    running"))
        let json = try run(try ssh(port) + ["root@127.0.0.1", "services --json"])
        #expect(json.output.hasPrefix(#"[{"name":"rtc""#))
        let missing = try run(try ssh(port) + ["root@127.0.0.1", "status ghost"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("error: no service 'ghost'"))
        let usage = try run(try ssh(port) + ["root@127.0.0.1", "set flow.window_s 99"])
        #expect(usage.status == 1)
        #expect(usage.output.contains("above the maximum 60"))
    }

    @Test func theInteractiveConsoleRunsUnderAPty() throws {
        let (session, port) = try agent()
        defer { session.finish() }
        // -tt: a pty on the device side; the server is the terminal driver (echo, CR LF).
        let result = try run(try ssh(port, ["-tt"]) + ["root@127.0.0.1"], input: Data("serv\t\rstatus flow\rget flow.win\t\rnonsense\r\u{04}".utf8))
        #expect(result.output.contains("Midflight console on sim"))
        #expect(result.output.contains("midflight> services \r\n"))
        #expect(result.output.contains("flow: pulse-counter 1.0.0, running\r\n"))
        // Tab completed the parameter name; its value came back (type-ahead echoes interleave).
        // The completion's echo may land after the output of a command still running.
        #expect(result.output.contains("get flow.win") && result.output.contains("dow_s \r\n"))
        #expect(result.output.contains("\r\n5\r\n"))
        #expect(result.output.contains("error: unknown command 'nonsense'"))
        #expect(result.status == 0)
    }

    /// An agent trusting a fresh signing key (saved as `signing-key`), with the `midflight`
    /// executable and the `push` options that reach it over ssh.
    func pushingAgent() throws -> (ConsoleSession, Int, String, [String]) {
        let signing = Curve25519.Signing.PrivateKey()
        let (session, port) = try agent(signingKey: signing)
        try SigningKeys.privateText(signing).write(toFile: folder + "/signing-key", atomically: true, encoding: .utf8)
        let options = ["-p", String(port), "-i", try key("client"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=\(folder)/known_hosts",
                       "-o", "IdentitiesOnly=yes", "--key", folder + "/signing-key", "root@127.0.0.1"]
        return (session, port, ConsoleSession.executables.appendingPathComponent("midflight").path, options)
    }

    @Test func aPushSwapsTheRunningModuleAndKeepsItsState() throws {
        let signing = Curve25519.Signing.PrivateKey()
        let (session, port) = try agent(signingKey: signing)
        defer { session.finish() }
        try SigningKeys.privateText(signing).write(toFile: folder + "/signing-key", atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 1.5)
        let before = try run(try ssh(port) + ["root@127.0.0.1", "status flow"]).output
        let push = try run([ConsoleSession.executables.appendingPathComponent("midflight").path, "push", "-p", String(port),
                            "-i", try key("client"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=\(folder)/known_hosts",
                            "-o", "IdentitiesOnly=yes", "--key", folder + "/signing-key", "root@127.0.0.1",
                            try FixtureModules.path("pulse-counter-v2")])
        #expect(push.status == 0, "\(push.error)")
        #expect(push.output.contains("pulse-counter 1.0.0 → 1.1.0: swapped 1 service"), "\(push.output) \(push.error)")
        #expect(push.output.contains("passed its 2 s probation"))
        #expect(push.error.contains("100% of"))
        Thread.sleep(forTimeInterval: 1.2)
        let after = try run(try ssh(port) + ["root@127.0.0.1", "status flow"]).output
        #expect(after.contains("flow: pulse-counter 1.1.0, running"))
        func count(_ text: String) -> Double {
            text.split(separator: "\n").first { $0.contains("count = ") }.flatMap { Double($0.split(separator: "=")[1].trimmingCharacters(in: .whitespaces)) } ?? -1
        }
        #expect(count(after) >= count(before) + 4, "before \(before) after \(after)")
    }

    @Test func aPushRolledBackOnProbationFailsAndSaysWhy() throws {
        let (session, port, midflight, options) = try pushingAgent()
        defer { session.finish() }
        // 1.4.0 traps on its first edge, inside its probation: the board puts 1.0.0 back.
        let push = try run([midflight, "push"] + options + [try FixtureModules.path("pulse-counter-fragile")])
        #expect(push.status == 1, "\(push.output) \(push.error)")
        #expect(push.error.contains("pulse-counter 1.0.0 → 1.4.0: swapped 1 service"), "\(push.error)")
        #expect(push.error.contains("then rolled back to 1.0.0 on probation: pulse-counter 1.4.0 crashed in edge"), "\(push.error)")
        // Host.fail's reason reaches the pusher (a plain fatalError's text does not survive -Osize).
        #expect(push.error.contains("unreachable (it said: fragile: cannot count this edge)"), "\(push.error)")
        let status = try run(try ssh(port) + ["root@127.0.0.1", "status flow --json"]).output
        #expect(status.contains(#""lastCrash":"pulse-counter 1.4.0 crashed in edge"#), "\(status)")
        let history = try run(try ssh(port) + ["root@127.0.0.1", "module history pulse-counter"]).output
        #expect(history.hasPrefix("1.0.0  active\n1.4.0  rolled back: on probation: pulse-counter 1.4.0 crashed in edge"), "\(history)")
        let json = try run(try ssh(port) + ["root@127.0.0.1", "module history pulse-counter --json"]).output
        #expect(
            json.hasPrefix(#"[{"version":"1.0.0","outcome":"active","builtIn":false},{"version":"1.4.0","outcome":"rolled-back","builtIn":false,"reason":"on probation: pulse-counter 1.4.0 crashed in edge"#),
            "\(json)")
        // With --no-wait the push answers at the switch and says the verdict was not waited for.
        let quick = try run([midflight, "push", "--no-wait"] + options + [try FixtureModules.path("pulse-counter-fragile")])
        #expect(quick.status == 0, "\(quick.error)")
        #expect(quick.output.contains("on probation for 2 s (not waited for)"), "\(quick.output)")
    }

    /// A version that runs without a trap but reports itself failing is not healthy: its
    /// push fails with the module's own reason, and the history keeps it.
    @Test func aPushWhoseVersionReportsFailingOnProbationIsRolledBack() throws {
        let (session, port, midflight, options) = try pushingAgent()
        defer { session.finish() }
        let services = try run(try ssh(port) + ["root@127.0.0.1", "services"]).output
        #expect(services.contains("rtc      rtc            1.1.0    running  healthy"), "\(services)")
        let push = try run([midflight, "push"] + options + [try FixtureModules.path("rtc-blind")])
        #expect(push.status == 1, "\(push.output) \(push.error)")
        #expect(push.error.contains("then rolled back to 1.1.0 on probation: rtc 1.2.0 reported failing after tick: RTC "), "\(push.error)")
        let history = try run(try ssh(port) + ["root@127.0.0.1", "module history rtc"]).output
        #expect(history.hasPrefix("1.1.0  active\n1.2.0  rolled back: on probation: rtc 1.2.0 reported failing after tick: RTC "), "\(history)")
        let status = try run(try ssh(port) + ["root@127.0.0.1", "status rtc --json"]).output
        #expect(status.contains(#""health":"healthy""#) && status.contains(#""lastCrash":"rtc 1.2.0 reported failing"#), "\(status)")
    }

    @Test func strangersPasswordsAndBadBundlesAreRefused() throws {
        let (session, port) = try agent(signingKey: Curve25519.Signing.PrivateKey())
        defer { session.finish() }
        let stranger = try run(try ssh(port, identity: try key("stranger")) + ["root@127.0.0.1", "services"])
        #expect(stranger.status == 255)
        #expect(stranger.error.contains("Permission denied (publickey)"))
        // Logged with the fingerprint ssh-keygen -l shows for the key.
        let fingerprint = try run(["ssh-keygen", "-lf", try key("stranger") + ".pub"]).output.split(separator: " ")[1]
        #expect(session.waitFor("refused key \(fingerprint) for root", in: \.stderr, timeout: 5) != nil)
        // A password attempt, answered by an askpass program, is refused too.
        let askpass = folder + "/askpass"
        try "#!/bin/sh\necho hunter2\n".write(toFile: askpass, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: askpass)
        var environment = ProcessInfo.processInfo.environment
        environment["SSH_ASKPASS"] = askpass
        environment["SSH_ASKPASS_REQUIRE"] = "force"
        environment["DISPLAY"] = ":0"
        let password = try run(
            ["ssh", "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=\(folder)/known_hosts",
             "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
             "root@127.0.0.1", "services"], environment: environment)
        #expect(password.status == 255)
        #expect(!password.output.contains("SERVICE"))
        // An unsigned module pushed straight into the subsystem.
        let wasm = try Data(contentsOf: URL(fileURLWithPath: try FixtureModules.path("pulse-counter-v2")))
        let unsigned = try run(try ssh(port, ["-s"]) + ["root@127.0.0.1", "module-push"], input: wasm)
        #expect(unsigned.status == 1)
        #expect(unsigned.error.contains("refused: not a Midflight bundle (bad magic)"))
        let unknown = try run(try ssh(port, ["-s"]) + ["root@127.0.0.1", "sftp"])
        #expect(unknown.status != 0)
        #expect(try run(try ssh(port) + ["root@127.0.0.1", "modules"]).output.contains("pulse-counter  1.0.0"))
    }

    /// A TCP connection from `source` (a loopback address) to the agent that never speaks.
    func idleConnection(from source: String, to port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0 && connected == 0)
        return fd
    }

    /// Whether the agent closed `fd` within `seconds`: what it sends (its version line) is
    /// read and dropped until end of file or a reset.
    func closedByAgent(_ fd: Int32, within seconds: Int) -> Bool {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) == 1 else { return false }
            var buffer = [UInt8](repeating: 0, count: 256)
            if read(fd, &buffer, buffer.count) <= 0 { return true }
        }
        return false
    }

    @Test func strangersHoldingConnectionsOpenDoNotLockTheOwnerOut() throws {
        let (session, port) = try agent()
        defer { session.finish() }
        // The lock-out: a stranger opens connections and never speaks. One source holds at most
        // four; the rest are closed at once.
        let idle = try (0..<12).map { _ in try idleConnection(from: "127.0.0.2", to: port) }
        defer { for fd in idle { close(fd) } }
        let refused = idle.filter { closedByAgent($0, within: 2) }
        #expect(refused.count == 8, "\(refused.count) of 12 closed at once")
        for attempt in 1...5 {
            let login = try run(try ssh(port) + ["root@127.0.0.1", "services"])
            #expect(login.status == 0, "login \(attempt): \(login.error)")
        }
        // The refusals are one summary line (with a real timestamp), not a line each.
        let summary = try #require(session.waitFor("over the per-source limit", in: \.stderr, timeout: 15))
        let lines = summary.split(separator: "\n").filter { $0.contains("over the per-source limit") }
        #expect(lines.allSatisfy { $0.contains("warning ssh: refused ") && !$0.hasPrefix("[0.000]") }, "\(lines)")
        #expect(lines.count <= 2, "summed up, not a line per connection: \(lines)")
        // A connection that says nothing is closed after the identification limit (10 s).
        let held = idle.filter { !refused.contains($0) }
        #expect(held.count == 4)
        for fd in held { #expect(closedByAgent(fd, within: 12)) }
    }

    @Test func aDamagedHostKeyIsReplacedLoudlyAndSSHStillRuns() throws {
        // A power cut left the host key empty.
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: folder + "/data/ssh_host_ed25519_key", contents: Data()))
        let (session, port) = try agent()
        defer { session.finish() }
        let line = try #require(session.waitFor("SSH HOST KEY REPLACED", in: \.stderr, timeout: 5))
        #expect(line.contains("was damaged (0 bytes"))
        // The new key's fingerprint is said, and is the one the client sees.
        let fingerprint = try run(["ssh-keygen", "-lf", folder + "/data/ssh_host_ed25519_key.pub"]).output.split(separator: " ")[1]
        #expect(line.contains("the new key is \(fingerprint)"))
        #expect(try run(try ssh(port) + ["root@127.0.0.1", "services"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: folder + "/data/ssh_host_ed25519_key.damaged"))
    }

    @Test func aKeyRestrictedToOtherAddressesIsRefusedHere() throws {
        let (session, port) = try agent(options: #"from="10.0.0.0/8,192.168.*""#)
        defer { session.finish() }
        let login = try run(try ssh(port) + ["root@127.0.0.1", "services"])
        #expect(login.status == 255)
        #expect(login.error.contains("Permission denied (publickey)"))
        #expect(session.waitFor("from 127.0.0.1: not allowed from there (from=)", in: \.stderr, timeout: 5) != nil, "\(session.stderr)")
    }

    @Test func aKeyAllowedFromHereLogsInAndNoPtyIsHonoured() throws {
        let (session, port) = try agent(options: #"from="127.0.0.0/8,!127.0.0.2",no-pty"#)
        defer { session.finish() }
        #expect(try run(try ssh(port) + ["root@127.0.0.1", "services"]).status == 0)
        // A terminal is refused (and OpenSSH, told to insist with -tt, gives up as it does with sshd).
        let withTerminal = try run(try ssh(port, ["-tt"]) + ["root@127.0.0.1", "services"])
        #expect(withTerminal.error.contains("PTY allocation request failed"), "\(withTerminal.error)")
        #expect(!withTerminal.output.contains("SERVICE"))
    }

    @Test func aKeyWithAnOptionTheServerDoesNotImplementIsRefusedAtLoad() throws {
        let clientKey = try String(contentsOfFile: try key("client") + ".pub", encoding: .utf8)
        try (#"command="/bin/true",from="127.0.0.1" "# + clientKey).write(toFile: folder + "/authorized_keys", atomically: true, encoding: .utf8)
        let session = try ConsoleSession(arguments: [
            "--simulate", "--data-dir", folder + "/data", "--ssh-port", "0", "--authorized-keys", folder + "/authorized_keys",
        ])
        defer { session.finish() }
        // The only key is refused, so SSH does not start, and both say why.
        #expect(session.waitFor("option command is not implemented by this server; key refused", in: \.stderr, timeout: 10) != nil, "\(session.stderr)")
        #expect(session.waitFor("has no usable key", in: \.stderr, timeout: 10) != nil, "\(session.stderr)")
    }

    @Test func sshThatCouldNotStartStartsAtASighupOnceThereAreKeys() throws {
        let keys = folder + "/later_keys"
        let session = try ConsoleSession(arguments: [
            "--simulate", "--data-dir", folder + "/data", "--ssh-port", "0", "--authorized-keys", keys, "--trusted-keys", folder + "/trusted",
        ])
        defer { session.finish() }
        #expect(session.waitFor("SSH not started: no \(keys)", in: \.stderr, timeout: 20) != nil, "\(session.stderr)")
        try String(contentsOfFile: try key("client") + ".pub", encoding: .utf8).write(toFile: keys, atomically: true, encoding: .utf8)
        kill(session.process.processIdentifier, SIGHUP)
        let line = try #require(session.waitFor("SSH on port ", in: \.stderr, timeout: 20))
        let port = Int(line.components(separatedBy: "SSH on port ")[1].prefix { $0.isNumber }) ?? 0
        #expect(try run(try ssh(port) + ["root@127.0.0.1", "services"]).status == 0)
        // A second SIGHUP re-reads the keys of the running server; it does not start another.
        kill(session.process.processIdentifier, SIGHUP)
        #expect(session.waitFor("authorized keys re-read: 1 usable", in: \.stderr, timeout: 5) != nil)
        #expect(session.stderr.components(separatedBy: "SSH on port ").count == 2)
    }

    @Test func sighupRereadsTheKeysWithoutStopping() throws {
        let (session, port) = try agent()
        defer { session.finish() }
        // A bundle signed by a key the board does not trust yet is refused.
        let signing = Curve25519.Signing.PrivateKey()
        let bundle = folder + "/v2.mfb"
        try Data(try ModuleBundle.create(wasm: Array(try Data(contentsOf: URL(fileURLWithPath: try FixtureModules.path("pulse-counter-v2")))), key: signing))
            .write(to: URL(fileURLWithPath: bundle))
        let untrusted = try run(try ssh(port, ["-s"]) + ["root@127.0.0.1", "module-push"], input: try Data(contentsOf: URL(fileURLWithPath: bundle)))
        #expect(untrusted.status == 1 && untrusted.error.contains("signed by unknown key"), "\(untrusted.error)")
        try SigningKeys.publicText(signing.publicKey, comment: "new").write(toFile: folder + "/trusted/new.pub", atomically: true, encoding: .utf8)
        let second = try key("second")
        #expect(try run(try ssh(port, identity: second) + ["root@127.0.0.1", "services"]).status == 255)
        // The operator adds a key and tells the agent, as for sshd.
        let added = try String(contentsOfFile: try key("client") + ".pub", encoding: .utf8) + (try String(contentsOfFile: second + ".pub", encoding: .utf8))
        try added.write(toFile: folder + "/authorized_keys", atomically: true, encoding: .utf8)
        kill(session.process.processIdentifier, SIGHUP)
        #expect(session.waitFor("authorized keys re-read: 2 usable", in: \.stderr, timeout: 5) != nil, "\(session.stderr)")
        #expect(session.waitFor("trusted keys re-read", in: \.stderr, timeout: 5) != nil)
        #expect(try run(try ssh(port, identity: second) + ["root@127.0.0.1", "services"]).status == 0)
        // The new trusted key signs pushes from now on.
        let trusted = try run(try ssh(port, ["-s"]) + ["root@127.0.0.1", "module-push"], input: try Data(contentsOf: URL(fileURLWithPath: bundle)))
        #expect(trusted.status == 0 && trusted.output.contains("pulse-counter 1.0.0 → 1.1.0"), "\(trusted.output) \(trusted.error)")
        #expect(session.process.isRunning)
        // And takes one away.
        try String(contentsOfFile: second + ".pub", encoding: .utf8).write(toFile: folder + "/authorized_keys", atomically: true, encoding: .utf8)
        kill(session.process.processIdentifier, SIGHUP)
        #expect(session.waitFor("authorized keys re-read: 1 usable", in: \.stderr, timeout: 5) != nil)
        #expect(try run(try ssh(port) + ["root@127.0.0.1", "services"]).status == 255)
    }
}
