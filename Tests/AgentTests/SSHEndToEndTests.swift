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
    func agent(signingKey: Curve25519.Signing.PrivateKey? = nil) throws -> (ConsoleSession, Int) {
        try FileManager.default.copyItem(atPath: try key("client") + ".pub", toPath: folder + "/authorized_keys")
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
        #expect(push.error.contains("100% of"))
        Thread.sleep(forTimeInterval: 1.2)
        let after = try run(try ssh(port) + ["root@127.0.0.1", "status flow"]).output
        #expect(after.contains("flow: pulse-counter 1.1.0, running"))
        func count(_ text: String) -> Double {
            text.split(separator: "\n").first { $0.contains("count = ") }.flatMap { Double($0.split(separator: "=")[1].trimmingCharacters(in: .whitespaces)) } ?? -1
        }
        #expect(count(after) >= count(before) + 4, "before \(before) after \(after)")
    }

    @Test func strangersPasswordsAndBadBundlesAreRefused() throws {
        let (session, port) = try agent(signingKey: Curve25519.Signing.PrivateKey())
        defer { session.finish() }
        let stranger = try run(try ssh(port, identity: try key("stranger")) + ["root@127.0.0.1", "services"])
        #expect(stranger.status == 255)
        #expect(stranger.error.contains("Permission denied (publickey)"))
        #expect(session.waitFor("refused key for root", in: \.stderr, timeout: 5) != nil)
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
}
