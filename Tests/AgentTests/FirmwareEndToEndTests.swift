import Bundles
import Crypto
import Firmware
import Foundation
import Testing

/// The A/B cycle on the simulated board, driven as a user would: `midflight fw create`,
/// the console's `fw` commands and `reboot`, `midflight fw push` over the real ssh, and an
/// install killed at every write it makes. Debian's fw_printenv checks the environment.
@Suite(.serialized) struct FirmwareEndToEndTests {
    let folder: String = {
        let path = NSTemporaryDirectory() + "midflight-fw-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path + "/trusted", withIntermediateDirectories: true)
        return path
    }()

    var midflight: String { ConsoleSession.executables.appendingPathComponent("midflight").path }
    var midflightd: String { ConsoleSession.executables.appendingPathComponent("midflightd").path }

    /// A signing key trusted by the board, and `midflight fw create` bundles of two root
    /// filesystems: `good` (the simulated board's services, a short health gate) and `bad`
    /// (its flow service's module missing, so the gate never passes).
    func bundles() throws -> (good: String, bad: String) {
        let key = Curve25519.Signing.PrivateKey()
        try SigningKeys.privateText(key).write(toFile: folder + "/signing-key", atomically: true, encoding: .utf8)
        try SigningKeys.publicText(key.publicKey, comment: "ci").write(toFile: folder + "/trusted/ci.pub", atomically: true, encoding: .utf8)
        let modules = ConsoleSession.repository.appendingPathComponent("rootfs-overlay/usr/share/midflight/modules").path
        var config = try String(contentsOfFile: ConsoleSession.repository.appendingPathComponent("board/sim/agent.json").path, encoding: .utf8)
        config = config.replacingOccurrences(of: "\"../../rootfs-overlay/usr/share/midflight/modules\"", with: "\"/usr/share/midflight/modules\"")
        config = config.replacingOccurrences(
            of: "\"supervisor\":", with: "\"firmware\": { \"healthWindowSeconds\": 1, \"validationDeadlineSeconds\": 4 },\n  \"supervisor\":")
        for name in ["good", "bad"] {
            let root = folder + "/\(name)"
            try FileManager.default.createDirectory(atPath: root + "/etc/midflight", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/usr/share/midflight", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: modules, toPath: root + "/usr/share/midflight/modules")
            try config.write(toFile: root + "/etc/midflight/agent.json", atomically: true, encoding: .utf8)
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: folder + "/bad/usr/share/midflight/modules") where file.hasPrefix("pulse-counter") {
            try FileManager.default.removeItem(atPath: folder + "/bad/usr/share/midflight/modules/" + file)
        }
        for (name, version) in [("good", "1.1.0"), ("bad", "1.2.0")] {
            let created = try run([midflight, "fw", "create", "--rootfs", folder + "/" + name, "--board", "sim", "--version", version,
                                   "--key", folder + "/signing-key", "-o", folder + "/\(name).fw"])
            #expect(created.status == 0, "\(created.error)")
            #expect(created.output.contains("firmware \(version) for sim"))
        }
        return (folder + "/good.fw", folder + "/bad.fw")
    }

    func printenv(_ data: String) throws -> [String: String] {
        let result = try run(["fw_printenv", "-c", data + "/fw_env.config"])
        #expect(result.status == 0, "fw_printenv: \(result.error)")
        var values: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// The agent's `fw status --json` and fw_printenv tell the same story.
    func expectAgreement(_ session: ConsoleSession, _ data: String, _ step: String) throws {
        let text = session.run("fw status --json", until: "\"gate\"")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("{\"slot\"") }, "\(step): \(text)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let environment = try printenv(data)
        let slot = status["slot"] as? String ?? "?"
        let other = slot == "a" ? "b" : "a"
        #expect((status["pendingReboot"] as? Bool) == (environment["boot_slot"] != slot), "\(step): \(status) \(environment)")
        let onTrial = environment["upgrade_available"] == "1" && environment["boot_slot"] == slot && environment["slot_\(slot)_state"] == "trial"
        #expect((status["validation"] as? String) == (onTrial ? "on trial" : "validated"), "\(step): \(status) \(environment)")
        #expect((status["version"] as? String) == environment["slot_\(slot)_version"], "\(step)")
        #expect(((status["otherSlot"] as? [String: Any])?["state"] as? String) == (environment["slot_\(other)_state"] ?? "empty"), "\(step)")
    }

    @Test func installRebootValidateThenAFailingUpdateReverts() throws {
        let (good, bad) = try bundles()
        let data = folder + "/data"
        let session = try ConsoleSession(arguments: ["--simulate", "--no-ssh", "--data-dir", data, "--trusted-keys", folder + "/trusted"])
        defer { session.finish() }
        #expect(session.run("fw status", until: "bootcount").contains("slot A: 1.0.0, validated"))
        try expectAgreement(session, data, "factory")

        #expect(session.run("fw install \(good)", until: "reboot to try it").contains("installed in slot B"))
        try expectAgreement(session, data, "installed")
        #expect(try printenv(data)["upgrade_available"] == "1")

        let offset = session.stderr.count
        session.send("reboot")
        #expect(session.waitFor("bootloader: slot B (trial boot 1 of 1)", in: \.stderr, after: offset) != nil)
        #expect(session.waitFor("firmware: slot B (1.1.0) validated", in: \.stderr, after: offset, timeout: 30) != nil, "\(session.stderr.suffix(2000))")
        let validated = session.run("fw status", until: "bootcount")
        #expect(validated.contains("slot B: 1.1.0, validated"), "\(validated)")
        #expect(validated.contains("slot A: 1.0.0, good"))
        try expectAgreement(session, data, "validated")

        let second = session.stderr.count
        session.send("fw install \(bad) --reboot")
        #expect(session.waitFor("bootloader: slot A (trial boot 1 of 1)", in: \.stderr, after: second) != nil)
        #expect(session.waitFor("rebooting to fall back", in: \.stderr, after: second, timeout: 30) != nil, "\(session.stderr.suffix(2000))")
        #expect(session.waitFor("bootloader: slot B (fell back", in: \.stderr, after: second) != nil)
        #expect(session.waitFor("reverted from slot A (1.2.0) to slot B: not healthy within 4.0 s (flow is failed", in: \.stderr, after: second) != nil)
        let reverted = session.run("fw status", until: "last update")
        #expect(reverted.contains("slot B: 1.1.0, validated"), "\(reverted)")
        #expect(reverted.contains("slot A: 1.2.0, bad"))
        #expect(reverted.contains("last update: reverted from slot A (1.2.0): not healthy within 4.0 s (flow is failed"))
        try expectAgreement(session, data, "reverted")

        // Nothing valid to go back to now, and nothing to validate.
        #expect(session.run("fw revert", until: "revert").contains("slot A holds no validated firmware (bad)"))
        #expect(session.run("fw validate", until: "validated").contains("slot B is already validated"))
        #expect(session.run("services", until: "fan").contains("flow     pulse-counter  1.0.0    running"))
        // The simulated board's watchdog is a file in the data folder, fed once a second.
        let watchdog = session.run("watchdog", until: "missed")
        #expect(watchdog.contains(data + "/watchdog: fed "), "\(watchdog)")
        #expect(session.run("watchdog snooze 5", until: "missed").contains("snoozed for 300 s more"))
    }

    /// Health is more than "running": a firmware whose RTC service is bound to an address
    /// with no chip runs every service, but the RTC reports itself failing, so the trial
    /// boot is not validated and the board reverts, saying which service and why.
    @Test func aFirmwareWhoseRTCCannotReachItsChipIsNotValidated() throws {
        _ = try bundles()
        let root = folder + "/silent-rtc"
        try FileManager.default.copyItem(atPath: folder + "/good", toPath: root)
        let configPath = root + "/etc/midflight/agent.json"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "i2c-1@0x68", with: "i2c-1@0x69").write(toFile: configPath, atomically: true, encoding: .utf8)
        let created = try run([midflight, "fw", "create", "--rootfs", root, "--board", "sim", "--version", "1.3.0",
                               "--key", folder + "/signing-key", "-o", folder + "/silent-rtc.fw"])
        #expect(created.status == 0, "\(created.error)")
        let data = folder + "/data-silent-rtc"
        let session = try ConsoleSession(arguments: ["--simulate", "--no-ssh", "--data-dir", data, "--trusted-keys", folder + "/trusted"])
        defer { session.finish() }
        let offset = session.stderr.count
        session.send("fw install \(folder)/silent-rtc.fw --reboot")
        #expect(session.waitFor("bootloader: slot B (trial boot 1 of 1)", in: \.stderr, after: offset) != nil)
        let services = session.run("services", until: "fan")
        #expect(services.contains("failing"), "\(services)")
        #expect(services.contains("RTC chip not answering"), "\(services)")
        #expect(session.waitFor("rebooting to fall back", in: \.stderr, after: offset, timeout: 30) != nil, "\(session.stderr.suffix(2000))")
        #expect(
            session.waitFor("not healthy within 4.0 s (rtc is failing: RTC chip not answering)", in: \.stderr, after: offset) != nil,
            "\(session.stderr.suffix(2000))")
        // The board came back on the old slot, and says why.
        #expect(session.waitFor("bootloader: slot A (fell back", in: \.stderr, after: offset, timeout: 30) != nil)
        #expect(session.waitFor("reverted from slot B (1.3.0) to slot A", in: \.stderr, after: offset, timeout: 30) != nil)
        let reverted = session.run("fw status", until: "last update")
        #expect(reverted.contains("slot A: 1.0.0, validated"), "\(reverted)")
        #expect(reverted.contains("slot B: 1.3.0, bad"), "\(reverted)")
        #expect(reverted.contains("rtc is failing: RTC chip not answering"), "\(reverted)")
        let json = session.run("status rtc --json", until: "}")
        #expect(json.contains(#""health":"healthy""#), "\(json)")
    }

    @Test func aValidatedSlotThatIsDamagedFallsBackInsteadOfLooping() throws {
        let (good, _) = try bundles()
        let data = folder + "/data-damaged"
        let session = try ConsoleSession(arguments: ["--simulate", "--no-ssh", "--data-dir", data, "--trusted-keys", folder + "/trusted"])
        defer { session.finish() }
        #expect(session.run("fw install \(good) --reboot", until: "installed").contains("installed in slot B"))
        #expect(session.waitFor("firmware: slot B (1.1.0) validated", in: \.stderr, timeout: 30) != nil, "\(session.stderr.suffix(2000))")
        // 1.1.0 validated in B, 1.0.0 good in A; then B's storage is wiped and the board restarts.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: data + "/slot-b.img")[.size] as? Int)
        try Data(count: size).write(to: URL(fileURLWithPath: data + "/slot-b.img"))
        let offset = session.stderr.count
        session.send("reboot")
        #expect(session.waitFor("bootloader: slot B, empty", in: \.stderr, after: offset) != nil)
        #expect(session.waitFor("bootloader: slot A (fell back", in: \.stderr, after: offset, timeout: 30) != nil, "\(session.stderr.suffix(2000))")
        #expect(session.waitFor("firmware: slot B (1.1.0) no longer boots; fell back to slot A: boot failed", in: \.stderr, after: offset) != nil)
        let status = session.run("fw status", until: "last update")
        #expect(status.contains("slot A: 1.0.0, validated"), "\(status)")
        #expect(status.contains("slot B: 1.1.0, bad"))
        #expect(status.contains("last update: reverted from slot B (1.1.0): boot failed"))
        try expectAgreement(session, data, "fell back")
        #expect(try printenv(data)["bootcount"] == "0")
        // One failed boot, not a loop.
        #expect(session.stderr.dropFirst(offset).components(separatedBy: "midflightd: boot failed").count - 1 == 1)
    }

    /// Whether this machine lets the tests mount a small tmpfs (root, with the capability):
    /// the only honest way to fill a data partition.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "midflight-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        guard (try? run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]))?.status == 0 else { return false }
        _ = try? run(["umount", probe])
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "needs root to mount a tmpfs"))
    func aFullDataPartitionStillBootsAndRunsTheServicesSayingWhy() throws {
        let (good, _) = try bundles()
        let mount = folder + "/small"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        #expect(try run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount]).status == 0)
        defer { _ = try? run(["umount", "-l", mount]) }
        let data = mount + "/data"
        let session = try ConsoleSession(arguments: ["--simulate", "--no-ssh", "--data-dir", data, "--trusted-keys", folder + "/trusted"])
        defer { session.finish() }
        #expect(session.run("fw install \(good) --reboot", until: "installed").contains("installed in slot B"))
        #expect(session.waitFor("firmware: slot B (1.1.0) validated", in: \.stderr, timeout: 30) != nil, "\(session.stderr.suffix(2000))")
        // The partition fills up; the board restarts.
        _ = try run(["dd", "if=/dev/zero", "of=\(mount)/filler", "bs=1M", "count=100"])
        let offset = session.stderr.count
        session.send("reboot")
        #expect(session.waitFor("bootloader: slot B", in: \.stderr, after: offset, timeout: 30) != nil, "\(session.stderr.dropFirst(offset))")
        #expect(session.waitFor("the data partition (\(data)) is full", in: \.stderr, after: offset, timeout: 30) != nil,
                "\(session.stderr.dropFirst(offset))")
        let services = session.run("services", until: "stored state")
        #expect(services.contains("flow     pulse-counter  1.0.0    running"), "\(services)")
        #expect(services.contains("stored state: the data partition (\(data)) is full"))
        #expect(session.run("set fan.threshold 22", until: "error").contains("No space left on device"))
        #expect(session.run("fw status", until: "bootcount").contains("slot B: 1.1.0, validated"))
    }

    @Test func fwPushStreamsOverTheRealSSHWithProgress() throws {
        let (good, _) = try bundles()
        let sshKey = folder + "/client"
        try run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "client", "-f", sshKey])
        try FileManager.default.copyItem(atPath: sshKey + ".pub", toPath: folder + "/authorized_keys")
        let session = try ConsoleSession(arguments: [
            "--simulate", "--data-dir", folder + "/data", "--ssh-port", "0", "--authorized-keys", folder + "/authorized_keys",
            "--trusted-keys", folder + "/trusted",
        ])
        defer { session.finish() }
        let line = try #require(session.waitFor("SSH on port ", in: \.stderr, timeout: 20))
        let port = String(line.components(separatedBy: "SSH on port ")[1].prefix { $0.isNumber })
        let options = ["-p", port, "-i", sshKey, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=\(folder)/known_hosts",
                       "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]

        // Refusals through `ssh -s DEVICE fwup`, before anything is written.
        var tampered = try Data(contentsOf: URL(fileURLWithPath: good))
        tampered[30] ^= 0x01
        let refused = try run(["ssh"] + options + ["-s", "root@127.0.0.1", "fwup"], input: tampered)
        #expect(refused.status == 1)
        #expect(refused.error.contains("refused: bad signature"), "\(refused.error)")
        let truncated = try run(["ssh"] + options + ["-s", "root@127.0.0.1", "fwup"], input: try Data(contentsOf: URL(fileURLWithPath: good)).prefix(20_000))
        #expect(truncated.status == 1)
        #expect(truncated.error.contains("refused: truncated bundle"), "\(truncated.error)")
        #expect(try printenv(folder + "/data")["boot_slot"] == "a")

        let push = try run([midflight, "fw", "push"] + options + ["root@127.0.0.1", good])
        #expect(push.status == 0, "\(push.error)")
        #expect(push.output.contains("installed in slot B; reboot to try it"))
        #expect(push.error.contains("100%") && push.error.contains("MiB/s") && push.error.contains("ETA"))
        let status = try run(["ssh"] + options + ["root@127.0.0.1", "fw status"])
        #expect(status.output.contains("slot B: 1.1.0, trial, boots next (reboot to try it)"), "\(status.output)")
        let environment = try printenv(folder + "/data")
        #expect(environment["boot_slot"] == "b" && environment["slot_b_state"] == "trial" && environment["upgrade_available"] == "1")
        // One install waits for its reboot.
        let again = try run([midflight, "fw", "push"] + options + ["root@127.0.0.1", good])
        #expect(again.status == 1)
        #expect(again.error.contains("boots next: reboot to try it first"), "\(again.error)")
    }

    /// `midflightd install` killed (SIGKILL, through strace's fault injection) at each
    /// write, fsync and rename it makes; after each: the environment is valid and
    /// fw_printenv agrees; the next boot picks slot A bit-identical or slot B fully
    /// written; and running the install again converges on slot B installed.
    @Test func anInstallKilledAtEveryWriteLeavesABootableBoard() throws {
        _ = try bundles()
        let image = (0..<((2 << 20) + 300_000)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        try Data(image).write(to: URL(fileURLWithPath: folder + "/big.img"))
        let created = try run([midflight, "fw", "create", "--rootfs", folder + "/big.img", "--board", "sim", "--version", "2.0.0",
                               "--key", folder + "/signing-key", "-o", folder + "/big.fw"])
        #expect(created.status == 0, "\(created.error)")
        let bundle = folder + "/big.fw"
        let baseline = folder + "/baseline"
        func install(_ data: String, strace: [String] = []) throws -> ProcessOutput {
            try run(strace + [midflightd, "install", "--simulate", "--data-dir", data, "--trusted-keys", folder + "/trusted", bundle])
        }
        // The board's first state: a refused install creates the slots and environment.
        let first = try run([midflightd, "install", "--simulate", "--data-dir", baseline, "--trusted-keys", folder + "/trusted", "-"], input: Data())
        #expect(first.status == 1 && first.error.contains("empty bundle"))
        let slotA = try Data(contentsOf: URL(fileURLWithPath: baseline + "/slot-a.img"))

        let syscalls = ["write", "pwrite64", "fsync", "rename"]
        let trace = folder + "/trace"
        try run(["cp", "-a", baseline, folder + "/clean"])
        let clean = try install(folder + "/clean", strace: ["strace", "-f", "-o", trace, "-e", "trace=" + syscalls.joined(separator: ",")])
        #expect(clean.status == 0, "\(clean.error)")
        let traced = try String(contentsOfFile: trace, encoding: .utf8)
        var counts: [String: Int] = [:]
        for line in traced.split(separator: "\n") {
            // `[PID ]name(args) = result` (or `<unfinished ...>`); strace adds the pid only once a
            // second thread is traced, and `<... name resumed>` lines are the same call.
            var call = Substring(line)
            if let space = call.firstIndex(of: " "), call[..<space].allSatisfy(\.isNumber) { call = call[space...].drop { $0 == " " } }
            for name in syscalls where call.hasPrefix(name + "(") { counts[name, default: 0] += 1 }
        }
        #expect((counts["pwrite64"] ?? 0) >= 3, "one write per block: \(counts)")
        var points = 0
        var kills = 0
        var outcomes: [String: Int] = [:]
        for name in syscalls {
            for when in stride(from: 1, through: counts[name] ?? 0, by: 1) {
                let data = folder + "/kill-\(name)-\(when)"
                try run(["cp", "-a", baseline, data])
                let killed = try install(data, strace: ["strace", "-f", "-o", "/dev/null", "-e", "trace=\(name)", "-e", "inject=\(name):signal=SIGKILL:when=\(when)"])
                points += 1
                let environment = try printenv(data)
                #expect(try UBootEnvironment(configPath: data + "/fw_env.config").variables() == environment, "\(name) #\(when)")
                let boot = BootloaderModel.boot(environment)
                if boot.slot == .a {
                    let unchanged = try Data(contentsOf: URL(fileURLWithPath: data + "/slot-a.img")) == slotA
                    #expect(unchanged, "\(name) #\(when): slot A changed")
                    outcomes["old slot", default: 0] += 1
                } else {
                    let slotB = try Data(contentsOf: URL(fileURLWithPath: data + "/slot-b.img"))
                    let complete = slotB.prefix(image.count) == Data(image)
                    #expect(complete, "\(name) #\(when): slot B boots but is not the image")
                    #expect(environment["slot_b_state"] == "trial")
                    outcomes["new slot", default: 0] += 1
                }
                if killed.status == SIGKILL { kills += 1 }
                let retry = try install(data)
                #expect(retry.status == 0 || retry.error.contains("boots next: reboot to try it first"), "\(name) #\(when): \(retry.error)")
                let converged = try printenv(data)
                #expect(converged["boot_slot"] == "b" && converged["slot_b_state"] == "trial" && converged["upgrade_available"] == "1", "\(name) #\(when)")
                let installed = try Data(contentsOf: URL(fileURLWithPath: data + "/slot-b.img")).prefix(image.count) == Data(image)
                #expect(installed, "\(name) #\(when): the retry did not write the image")
                try? FileManager.default.removeItem(atPath: data)
            }
        }
        #expect(points >= 15, "\(counts)")
        #expect(kills == points, "every injection point was reached: \(kills) of \(points)")
        #expect((outcomes["old slot"] ?? 0) > 0 && (outcomes["new slot"] ?? 0) > 0, "\(outcomes)")
        print("install killed at \(kills) of \(points) points \(counts): \(outcomes)")
    }
}
