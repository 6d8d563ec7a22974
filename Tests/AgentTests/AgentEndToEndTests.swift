import Foundation
import ModuleTools
import Testing

/// Builds the fixture versions of pulse-counter once.
enum FixtureModules {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "midflight-agent-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static let built: [String: Result<String, ModuleBuilder.Failure>] = {
        var results: [String: Result<String, ModuleBuilder.Failure>] = [:]
        let benchmarkModules = "Sources/midflight-benchmarks/SwapModules/"
        for name in ["pulse-counter-v2", "pulse-counter-v3", "pulse-counter-crashy", "pulse-counter-fragile", "pulse-counter-hog", "rtc-blind", "counter-v1", "counter-v2"] {
            results[name] = Result { () throws(ModuleBuilder.Failure) -> String in
                let folder = name.hasPrefix("counter-") ? benchmarkModules : "Tests/AgentTests/Fixtures/"
                let source = ConsoleSession.repository.appendingPathComponent(folder + name).path
                return try ModuleBuilder.standard().build(source, output: directory + "/\(name).wasm").path
            }
        }
        return results
    }()

    static func path(_ name: String) throws -> String { try built[name]!.get() }
}

/// `midflightd --simulate` driven through its console, as the issue describes.
@Suite(.serialized) struct AgentEndToEndTests {
    func dataDirectory() -> String {
        let path = NSTemporaryDirectory() + "midflight-agent-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func count(in status: String) -> Double? {
        status.split(separator: "\n").first { $0.contains("count = ") }.flatMap { Double($0.split(separator: "=")[1].trimmingCharacters(in: .whitespaces)) }
    }

    @Test func servicesComeUpAndAHotSwapKeepsThePulseCount() throws {
        let v2 = try FixtureModules.path("pulse-counter-v2")
        let v3 = try FixtureModules.path("pulse-counter-v3")
        let session = try ConsoleSession(arguments: ["--simulate", "--data-dir", dataDirectory()])
        defer { session.finish() }

        let services = session.run("services", until: "fan")
        for name in ["rtc", "button", "flow", "fan"] {
            #expect(services.contains { _ in true } && services.split(separator: "\n").contains { $0.hasPrefix(name) && $0.contains("running") }, "\(services)")
        }
        // Let pulses flow (4 Hz on the simulated sensor), then swap while they keep coming.
        Thread.sleep(forTimeInterval: 2.2)
        let before = count(in: session.run("status flow", until: "count = ")) ?? -1
        #expect(before >= 4)
        #expect(session.run("status flow", until: "handler done").contains(" latency median "))
        #expect(session.run("call flow 00 01", until: "reply").contains("(empty reply)"))
        #expect(session.run("call flow zz", until: "hex").contains("'zz' is not a byte in hex (00-ff)"))
        #expect(session.run("call ghost 00", until: "error").contains("error: no service 'ghost'"))
        let swap = session.run("module load pulse-counter \(v2)", until: "state migrated")
        #expect(swap.contains("pulse-counter 1.0.0 → 1.1.0: swapped 1 service in "), "\(swap)")
        Thread.sleep(forTimeInterval: 2.2)
        let after = session.run("status flow", until: "layout = ")
        #expect(after.contains("flow: pulse-counter 1.1.0, running"))
        let afterCount = count(in: after) ?? -1
        #expect(afterCount >= before + 8, "before \(before), after \(afterCount)")
        // No pulse lost: stop the sensor, let a tick publish, and compare with what the
        // simulated line produced since the service took it.
        #expect(session.run("sim pulse pulse 0", until: "pulsing").contains("0.0 Hz"))
        Thread.sleep(forTimeInterval: 1.3)
        let produced = Double(session.run("sim edges pulse", until: "\n").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let counted = count(in: session.run("status flow", until: "layout = ")) ?? -2
        #expect(counted == produced, "module counted \(counted), line produced \(produced)")
        _ = session.run("sim pulse pulse 4", until: "pulsing")

        // A version that traps in code_change is refused; the running one stays.
        let refused = session.run("module load pulse-counter \(v3)", until: "keeps running")
        #expect(refused.contains("crashed in code_change"), "\(refused)")
        #expect(session.run("modules", until: "threshold").contains("pulse-counter  1.1.0"))
        #expect(session.run("log flow -n 50", until: "abandoned").contains("swap to pulse-counter 1.2.0 abandoned"))
        // The history recorded 1.2.0 before the switch (off the loop thread); the refusal put it back.
        #expect(session.run("module history pulse-counter", until: "1.1.0  active\n") == "1.0.0  replaced by 1.1.0\n1.1.0  active\n")

        // Rollback returns to 1.0.0, which cannot read 1.1.0's state layout: it starts fresh.
        let rollback = session.run("module rollback pulse-counter", until: "state reset")
        #expect(rollback.contains("pulse-counter 1.1.0 → 1.0.0: swapped 1 service"), "\(rollback)")
        let history = session.run("module history pulse-counter", until: "by module rollback\n")
        #expect(history == "1.0.0  active\n1.1.0  rolled back: by module rollback\n", "\(history)")
        #expect(session.run("modules", until: "threshold").contains("pulse-counter  1.0.0"))
        // Only 1.1.0 published `layout`: it went with 1.1.0, while 1.0.0's own readings come back.
        Thread.sleep(forTimeInterval: 1.3)
        let rolledBack = session.run("status flow", until: "edges:")
        #expect(rolledBack.contains("flow: pulse-counter 1.0.0, running") && !rolledBack.contains("layout"), "\(rolledBack)")
        // A second rollback does not go forward again.
        #expect(session.run("module rollback pulse-counter", until: "error").contains("no earlier version"))

        // Restart resets the state.
        Thread.sleep(forTimeInterval: 3.2)
        let grown = count(in: session.run("status flow", until: "count = ")) ?? -1
        #expect(session.run("restart flow", until: "restarted").contains("flow restarted"))
        Thread.sleep(forTimeInterval: 1.2)
        let reset = count(in: session.run("status flow", until: "count = ")) ?? -1
        #expect(reset < grown && reset <= 8, "before restart \(grown), after \(reset)")
    }

    @Test func aVersionThatCrashesDuringProbationIsReplacedByTheOldOne() throws {
        let fragile = try FixtureModules.path("pulse-counter-fragile")
        let session = try ConsoleSession(arguments: ["--simulate", "--data-dir", dataDirectory()])
        defer { session.finish() }
        _ = session.run("services", until: "fan")
        Thread.sleep(forTimeInterval: 1.2)
        let before = count(in: session.run("status flow", until: "count = ")) ?? -1
        // The load waits for the verdict, and fails with it.
        let load = session.run("module load pulse-counter \(fragile)", until: "on probation")
        #expect(load.contains("error: pulse-counter 1.0.0 → 1.4.0: swapped 1 service"), "\(load)")
        #expect(load.contains("state migrated; then rolled back to 1.0.0 on probation: pulse-counter 1.4.0 crashed in edge: "), "\(load)")
        #expect(session.waitFor("rolling back to pulse-counter 1.0.0", in: \.stderr, timeout: 5) != nil, "\(session.stderr)")
        #expect(session.run("modules", until: "threshold").contains("pulse-counter  1.0.0"))
        Thread.sleep(forTimeInterval: 1.3)
        let status = session.run("status flow", until: "count = ")
        // The old instance, with its state, carries on: no restart, the count kept.
        #expect(status.contains("flow: pulse-counter 1.0.0, running"))
        #expect(status.contains("restarts: 0"))
        #expect((count(in: status) ?? -1) >= before)
        let history = session.run("module history pulse-counter", until: "rolled back")
        #expect(history.contains("1.0.0  active\n1.4.0  rolled back: on probation: pulse-counter 1.4.0 crashed in edge: "), "\(history)")
    }

    @Test func aSwappedModuleIsStillActiveAfterAnAgentRestart() throws {
        let v2 = try FixtureModules.path("pulse-counter-v2")
        let data = dataDirectory()
        let first = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        #expect(first.run("module load pulse-counter \(v2)", until: "state migrated").contains("1.0.0 → 1.1.0"))
        first.finish()
        let second = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        defer { second.finish() }
        #expect(second.run("modules", until: "threshold").contains("pulse-counter  1.1.0"))
        #expect(second.run("module history pulse-counter", until: "1.1.0  active").contains("1.0.0  replaced by 1.1.0\n1.1.0  active"))
    }

    @Test func damagedStoredStateFallsBackToWhatIsIntactAndSaysSo() throws {
        let v2 = try FixtureModules.path("pulse-counter-v2")
        let data = dataDirectory()
        let first = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        #expect(first.run("module load pulse-counter \(v2)", until: "state migrated").contains("1.0.0 → 1.1.0"))
        #expect(first.run("set fan.threshold 25", until: "= 25").contains("fan.threshold = 25"))
        first.finish()
        // The active module's file is garbled and the parameters file is cut short.
        try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: data + "/modules/pulse-counter/1.1.0.wasm"))
        try Data("{\"threshold\": 2".utf8).write(to: URL(fileURLWithPath: data + "/params/fan.json"))
        let second = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        let services = second.run("services", until: "stored state: fan")
        // The previous stored version runs (not a failed service), and both problems are shown.
        #expect(services.contains("flow     pulse-counter  1.0.0    running"), "\(services)")
        #expect(services.contains("stored state: pulse-counter: 1.1.0 (\(data)/modules/pulse-counter/1.1.0.wasm) is unusable"))
        #expect(services.contains("running 1.0.0 from \(data)/modules/pulse-counter/1.0.0.wasm"))
        #expect(services.contains("stored state: fan: stored parameters \(data)/params/fan.json are unreadable"))
        #expect(second.waitFor("error fan: stored parameters", in: \.stderr, timeout: 5) != nil)
        #expect(FileManager.default.fileExists(atPath: data + "/params/fan.json.corrupt"))
        let history = second.run("module history pulse-counter", until: "at start\n")
        #expect(history == "1.0.0  active\n1.1.0  rolled back: its stored file was unusable at start\n", "\(history)")
        second.finish()
        // The version given up on is gone with its history entry.
        #expect(!FileManager.default.fileExists(atPath: data + "/modules/pulse-counter/1.1.0.wasm"))
        // An empty history: the newest intact stored version, not the built-in one, and said.
        try Data().write(to: URL(fileURLWithPath: data + "/modules/pulse-counter/history"))
        try FileManager.default.copyItem(atPath: v2, toPath: data + "/modules/pulse-counter/1.1.0.wasm")
        let third = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        defer { third.finish() }
        let again = third.run("services", until: "stored state")
        #expect(again.contains("flow     pulse-counter  1.1.0    running"), "\(again)")
        #expect(again.contains("stored state: pulse-counter: its history is empty; running 1.1.0"))
    }

    @Test func bothBootEnvironmentCopiesGoneIsSaidNotSilent() throws {
        let data = dataDirectory()
        let first = try ConsoleSession(arguments: ["--simulate", "--no-ssh", "--data-dir", data])
        _ = first.run("services", until: "fan")
        first.finish()
        for name in ["uboot.env", "uboot-redund.env"] { try FileManager.default.removeItem(atPath: data + "/" + name) }
        let second = try ConsoleSession(arguments: ["--simulate", "--no-ssh", "--data-dir", data])
        defer { second.finish() }
        #expect(second.waitFor("boot environment: both copies (uboot.env, uboot-redund.env) are gone; created the factory environment", in: \.stderr) != nil,
                "\(second.stderr)")
        #expect(second.run("fw status", until: "bootcount").contains("slot A: 1.0.0, validated"))
    }

    @Test func watchShowsLiveReadings() throws {
        let session = try ConsoleSession(arguments: ["--simulate", "--data-dir", dataDirectory()])
        defer { session.finish() }
        let watched = session.run("watch flow --count 2 --interval-ms 300", until: "watched")
        #expect(watched.split(separator: "\n").filter { $0.hasPrefix("flow ") }.count == 2, "\(watched)")
        #expect(session.run("watch ghost --count 1", until: "error").contains("no service 'ghost'"))
    }

    @Test func parametersAreCheckedAndSurviveAnAgentRestart() throws {
        let data = dataDirectory()
        let first = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        #expect(first.run("set flow.window_s 99", until: "error").contains("error: window_s = 99 is above the maximum 60 s"))
        #expect(first.run("set flow.nope 1", until: "error").contains("has no parameter 'nope'"))
        #expect(first.run("set flow.window_s 3", until: "= 3").contains("flow.window_s = 3"))
        #expect(first.run("set ghost.x 1", until: "error").contains("no service 'ghost'"))
        first.finish()
        let second = try ConsoleSession(arguments: ["--simulate", "--data-dir", data])
        defer { second.finish() }
        #expect(second.run("get flow.window_s", until: "\n") == "3\n")
        #expect(second.run("params flow", until: "window_s").contains("window_s"))
    }

    @Test func aServiceCrashingInALoopIsMarkedFailedWhileTheOthersRun() throws {
        let crashy = try FixtureModules.path("pulse-counter-crashy")
        let session = try ConsoleSession(arguments: ["--simulate", "--data-dir", dataDirectory()])
        defer { session.finish() }
        _ = session.run("services", until: "fan")
        #expect(session.run("module load pulse-counter \(crashy)", until: "state migrated").contains("1.0.0 → 1.3.0"))
        // It traps on its fourth tick; every restart traps in init, until the intensity gives up.
        #expect(session.waitFor("service failed", in: \.stderr, timeout: 30) != nil, "\(session.stderr)")
        let services = session.run("services", until: "fan")
        let lines = services.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("flow") && $0.contains("failed") }, "\(services)")
        #expect(lines.contains { $0.hasPrefix("rtc") && $0.contains("running") })
        #expect(lines.contains { $0.hasPrefix("fan") && $0.contains("running") })
        #expect(session.run("status flow", until: "last crash").contains("last crash: pulse-counter 1.3.0 crashed in init: unreachable"))
    }

    @Test func aServiceThatNeverEndsAnEventIsFailedAndTheOthersKeepTheirTime() throws {
        let hog = try FixtureModules.path("pulse-counter-hog")
        let session = try ConsoleSession(arguments: ["--simulate", "--data-dir", dataDirectory()])
        defer { session.finish() }
        _ = session.run("services", until: "fan")
        #expect(session.run("module load pulse-counter \(hog)", until: "migrated").contains("1.0.0 → 1.4.0"), "\(session.stdout)")
        // Each tick is stopped at its budget; init at every restart too, until the intensity gives up.
        #expect(session.waitFor("service failed", in: \.stderr, timeout: 30) != nil, "\(session.stderr.suffix(3000))")
        let services = session.run("services", until: "fan")
        let lines = services.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("flow") && $0.contains("failed") }, "\(services)")
        #expect(lines.contains { $0.hasPrefix("rtc") && $0.contains("running") })
        // Stopped by its fuel, or by the deadline at its next host call, whichever comes first.
        let status = session.run("status flow", until: "last crash")
        #expect(status.contains("last crash: pulse-counter 1.4.0 crashed in init: out of fuel")
            || status.contains("last crash: pulse-counter 1.4.0 crashed in init: over its 100 ms budget (in host calls)"), "\(status)")
        // The console answered throughout, and the watchdog was fed at every interval.
        let watchdog = session.run("watchdog", until: "missed")
        #expect(watchdog.contains(" times while the agent answered, 0 missed"), "\(watchdog)")
    }

    @Test func sigtermStopsTheAgentCleanly() throws {
        // --no-console: a service manager's stop is the only way out.
        let session = try ConsoleSession(arguments: ["--simulate", "--no-console", "--no-ssh", "--data-dir", dataDirectory()])
        #expect(session.waitFor("started pulse-counter 1.0.0", in: \.stderr) != nil, "\(session.stderr)")
        session.process.terminate()
        session.process.waitUntilExit()
        #expect(session.process.terminationReason == .exit)
        #expect(session.process.terminationStatus == 0)
        #expect(session.stderr.contains("midflightd: stopping (SIGTERM)"), "\(session.stderr)")
        #expect(session.stderr.contains("flow: agent stopping"), "\(session.stderr)")
    }

    @Test func badConsoleInputGetsAOneLineReason() throws {
        let session = try ConsoleSession(arguments: ["--simulate", "--data-dir", dataDirectory()])
        defer { session.finish() }
        #expect(session.run("status ghost", until: "error").contains("error: no service 'ghost' (services: rtc, button, flow, fan)"))
        #expect(session.run("restart", until: "error").contains("Missing expected argument"))
        #expect(session.run("set flow 3", until: "error").contains("'flow' is not SERVICE.PARAMETER"))
        #expect(session.run("module load pulse-counter /nonexistent.wasm", until: "error").contains("/nonexistent.wasm: No such file or directory"))
        #expect(session.run("module load button /etc/hostname", until: "error").contains("not a WebAssembly module"))
        #expect(session.run("module rollback button", until: "error").contains("no earlier version"))
        #expect(session.run("services --json", until: "]").contains(#"{"name":"rtc","module":"rtc","version":"1.1.0","state":"running""#))
    }
}
