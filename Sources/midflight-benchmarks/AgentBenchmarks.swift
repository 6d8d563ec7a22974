#if canImport(Glibc)
import Glibc
#endif
import Agent
import Boards
import Bundles
import Crypto
import Hardware
import ModuleTools
import SimulatedHardware
import Platform
import Synchronization
import Updates

/// The agent's figures that the BEAM is measured beside (issue: benchmarks against the
/// anchors): hot-swap pause and full swap, 100 services swapped at once, crash → answering
/// again, a call through the agent loop, footprint and start, and a swap soak.
struct AgentBenchmarks {
    let scratch: String
    let v1: [UInt8]
    let v2: [UInt8]
    let key = Curve25519.Signing.PrivateKey()
    /// The one key the agents here trust: the benchmark's own.
    var trust: TrustStore { TrustStore(keys: [key.publicKey]) }

    init(scratch: String, builder: ModuleBuilder) throws {
        self.scratch = scratch
        let sources = builder.sdkDirectory + "/../midflight-benchmarks/SwapModules"
        mkdir(scratch + "/modules", 0o755)
        mkdir(scratch + "/swap", 0o755)
        v1 = try FileSystem.read(try builder.build(sources + "/counter-v1", output: scratch + "/modules/bench-counter-1.0.0.wasm").path)
        v2 = try FileSystem.read(try builder.build(sources + "/counter-v2", output: scratch + "/swap/bench-counter-2.0.0.wasm").path)
        _ = try builder.build(sources + "/hog", output: scratch + "/modules/bench-hog-1.0.0.wasm")
    }

    /// A simulated board with `count` idle input lines c0…c(count-1) on gpiochip0, and a DS3231.
    static func board(lines count: Int) -> SimulatedBoard {
        SimulatedBoard(
            SimulatedBoardSpec(
                name: "bench",
                buses: [.init(number: 1, devices: [.init(address: 0x68, model: .ds3231(.init(), temperature: 22))])],
                chips: [.init(name: "gpiochip0", label: "bench", lineCount: count, lines: (0..<count).map { .init(offset: $0, name: "c\($0)") })]))
    }

    /// An agent config with `count` bench-counter services, one per line, restarting at once (no backoff, as OTP).
    func config(services count: Int, file: String, standby: Bool = false) throws -> AgentConfig {
        let services = (0..<count).map { #""c\#($0)": { "module": "bench-counter", "gpio": ["gpiochip0:c\#($0)"], "standby": \#(standby) }"# }
        let names = (0..<count).map { "\"c\($0)\"" }
        let json = """
            { "board": "bench", "modules": ["modules"],
              "services": { \(services.joined(separator: ", ")) },
              "supervisor": { "strategy": "one_for_one", "intensity": 1000, "periodSeconds": 1, "backoffMilliseconds": 0,
                              "children": [\(names.joined(separator: ", "))] } }
            """
        try FileSystem.writeAtomically(Array(json.utf8), to: file)
        return try AgentConfig.parse(Array(json.utf8), file: file)
    }

    func agent(services count: Int, data: String, standby: Bool = false) throws -> (AgentHandle, SimulatedBoard) {
        let board = Self.board(lines: max(count, 8))
        FileSystem.removeTree(data)
        let runtime = AgentHandle(
            config: try config(services: count, file: scratch + "/agent-\(count).json", standby: standby), backend: board,
            time: SimulatedSystemTime(clock: board.clock, synchronized: true), store: try DataStore(root: data), log: LogBook(echo: { _ in }))
        runtime.start()
        try waitUntilRunning(runtime, count: count)
        return (runtime, board)
    }

    func waitUntilRunning(_ runtime: AgentHandle, count: Int) throws {
        for _ in 0..<5000 {
            if runtime.perform({ $0.console.serviceSummaries().filter { $0.state == "running" }.count }) == count { return }
            usleep(1000)
        }
        throw BenchmarkFailure("services did not all start")
    }

    func run(_ figures: inout Figures) throws {
        try swapOne(&figures)
        try swapHundred(&figures)
        try restart(&figures, standby: true)
        try restart(&figures, standby: false)
        try calls(&figures)
        try hostileNeighbour(&figures)
        try startAndFootprint(&figures)
        try soak(&figures)
    }

    /// 1000 swaps alternating 1.0.0 ↔ 2.0.0 (a state transform both ways): the pause (the
    /// loop holds the service: snapshot, code_change, switch; instantiation is before it),
    /// and the whole signed push: Ed25519 check, verify, instantiate, pause, store.
    func swapOne(_ figures: inout Figures) throws {
        let (runtime, _) = try agent(services: 1, data: scratch + "/data-swap")
        defer { runtime.shutdown() }
        let bundles = [try ModuleBundle.create(wasm: v2, key: key), try ModuleBundle.create(wasm: v1, key: key)]
        let push = ModulePush(handle: runtime, trustedKeys: trust)
        var pauses: [UInt64] = []
        var held: [UInt64] = []
        var full: [UInt64] = []
        for round in 0..<1100 {
            let bundle = bundles[round % 2]
            let start = Benchmarks.now()
            let report = try push.push(bundle, allowDowngrade: true)
            let elapsed = Benchmarks.now() - start
            guard report.stateMigrated else { throw BenchmarkFailure("state not migrated: \(report)") }
            if round >= 100 {
                pauses.append(report.pauseNanoseconds)
                held.append(report.loopNanoseconds)
                full.append(elapsed)
            }
        }
        figures.add("swap_pause", "swap pause, 1 service (5-field state)", pauses)
        figures.add("swap_loop", "loop held by the swap (checks, bind, pause)", held)
        figures.add("swap_full", "full swap: signed push → running", full)
        let summary = try runtime.perform { runtime in Result(catching: { try runtime.console.serviceSummary("c0") }) }.get()
        print("  after 1100 swaps c0 runs \(summary.module) \(summary.version), \(summary.state)")
    }

    /// 100 services of one module swapped together, 120 rounds alternating: the total pause.
    func swapHundred(_ figures: inout Figures) throws {
        let (runtime, _) = try agent(services: 100, data: scratch + "/data-swap100")
        defer { runtime.shutdown() }
        let modules = [v2, v1]
        var pauses: [UInt64] = []
        var held: [UInt64] = []
        for round in 0..<120 {
            let report = try runtime.load(module: "bench-counter", bytes: modules[round % 2], source: "bench", allowDowngrade: true)
            guard report.services.count == 100 else { throw BenchmarkFailure("swapped \(report.services.count) of 100") }
            if round >= 20 {
                pauses.append(report.pauseNanoseconds)
                held.append(report.loopNanoseconds)
            }
        }
        figures.add("swap_100", "swap pause, 100 services at once", pauses)
        figures.add("swap_100_loop", "loop held by the 100-service swap", held)
    }

    /// A trap in the service (its `call` handler asked to crash) → the supervisor restarts
    /// it → a call is answered again. Batches of 500 stay inside intensity 1000 per second.
    func restart(_ figures: inout Figures, standby: Bool) throws {
        let (runtime, _) = try agent(services: 1, data: scratch + "/data-restart", standby: standby)
        defer { runtime.shutdown() }
        var samples: [UInt64] = []
        for batch in 0..<3 {
            if batch > 0 { usleep(1_100_000) }
            for _ in 0..<500 {
                // With a standby: the next crash only once the worker has made the new one
                // (about an instantiation after the restart); without: back to back.
                if standby { try waitForStandby(runtime) }
                let start = Benchmarks.now()
                let crashed = runtime.perform { runtime in (try? runtime.console.call("c0", request: [0xFF])) == nil }
                guard crashed else { throw BenchmarkFailure("the crash call was answered") }
                var answered = false
                while !answered {
                    answered = runtime.perform { runtime in (try? runtime.console.call("c0", request: [0])) != nil }
                }
                if batch > 0 { samples.append(Benchmarks.now() - start) }
            }
        }
        if standby {
            figures.add("restart", "crash → restarted, answering (warm standby ready)", samples)
        } else {
            figures.add("restart_cold", "crash → restarted, answering (instantiating)", samples)
        }
    }

    func waitForStandby(_ runtime: AgentHandle) throws {
        for _ in 0..<20_000 {
            if runtime.perform({ (try? $0.console.serviceSummary("c0"))?.standby != nil }) { return }
            usleep(50)
        }
        throw BenchmarkFailure("no warm standby within a second")
    }

    /// A request/reply through the agent loop (another thread's mailbox, the module's call
    /// handler, the reply back): the gen_server:call of Midflight.
    func calls(_ figures: inout Figures) throws {
        let (runtime, _) = try agent(services: 1, data: scratch + "/data-call")
        defer { runtime.shutdown() }
        var samples: [UInt64] = []
        for round in 0..<21_000 {
            let start = Benchmarks.now()
            let reply = runtime.perform { runtime in try? runtime.console.call("c0", request: [0]) }
            if round >= 1000 { samples.append(Benchmarks.now() - start) }
            guard reply?.count == 8 else { throw BenchmarkFailure("no reply") }
        }
        figures.add("call_loop", "call round trip through the agent loop", samples)
    }

    /// The worst a hostile service does to a well-behaved one: call round trips to `c0`
    /// while `hog` ticks every millisecond and each tick runs until its budget stops it
    /// (then it crashes, restarts at once and does it again), for two seconds; with the
    /// default 100 ms budget and with `eventBudgetMs` 10.
    func hostileNeighbour(_ figures: inout Figures) throws {
        for budget in [100, 10] {
            let board = Self.board(lines: 8)
            let data = scratch + "/data-hostile-\(budget)"
            FileSystem.removeTree(data)
            let json = """
                { "board": "bench", "modules": ["\(scratch)/modules"],
                  "services": { "c0": { "module": "bench-counter", "gpio": ["gpiochip0:c0"] },
                                "hog": { "module": "bench-hog", "eventBudgetMs": \(budget) } },
                  "supervisor": { "strategy": "one_for_one", "intensity": 1000, "periodSeconds": 1, "backoffMilliseconds": 0,
                                  "children": ["c0", "hog"] } }
                """
            let runtime = AgentHandle(
                config: try AgentConfig.parse(Array(json.utf8), file: scratch + "/agent-hostile.json"), backend: board,
                time: SimulatedSystemTime(clock: board.clock, synchronized: true), store: try DataStore(root: data),
                log: LogBook(echo: { _ in }))
            runtime.start()
            defer { runtime.shutdown() }
            var samples: [UInt64] = []
            let end = Benchmarks.now() + 2_000_000_000
            while Benchmarks.now() < end {
                let start = Benchmarks.now()
                let reply = runtime.perform { runtime in try? runtime.console.call("c0", request: [0]) }
                samples.append(Benchmarks.now() - start)
                guard reply?.count == 8 else { throw BenchmarkFailure("no reply from c0 beside the hog") }
            }
            let restarts = runtime.perform { (try? $0.console.serviceSummary("hog"))?.restarts ?? 0 }
            guard restarts > 0 else { throw BenchmarkFailure("the hog was never stopped") }
            figures.add(
                "hostile_call_\(budget)", "call round trip beside a hostile service (budget \(budget) ms, \(restarts) stops)", samples)
        }
    }

    /// Start → all running for 100 services (in process); then the daemon's RSS idle with
    /// the simulated board's services and with 100 services, and its size on disk.
    func startAndFootprint(_ figures: inout Figures) throws {
        var starts: [UInt64] = []
        for round in 0..<6 {
            let start = Benchmarks.now()
            let (runtime, _) = try agent(services: 100, data: scratch + "/data-start")
            if round > 0 { starts.append(Benchmarks.now() - start) }
            runtime.shutdown()
        }
        figures.add("start_100", "start → 100 services running", starts)

        // What a board runs is the static build (the QEMU tier's, in .build-static); the
        // dynamically linked one beside it shows what the shared Swift libraries cost.
        let dynamic = (FileSystem.executablePath().map(FileSystem.parent) ?? ".") + "/midflightd"
        let daemons = [(".build-static/release/midflightd", "static"), (dynamic, "dynamic")].filter { FileSystem.exists($0.0) }
        guard let (daemon, linkage) = daemons.first else {
            print("  (no midflightd: build it with `swift build -c release --product midflightd` for the footprint figures)")
            return
        }
        if linkage != "static" {
            print("  (no .build-static/release/midflightd: the footprint is the dynamically linked build's; "
                + "`swift build -c release --static-swift-stdlib --product midflightd --scratch-path .build-static` for the board's)")
        }
        let data = scratch + "/data-daemon"
        for (path, kind) in daemons {
            FileSystem.removeTree(data)
            let simulated = try Self.resident(of: [path, "--simulate", "--no-ssh", "--no-console", "--data-dir", data])
            figures.add(
                size: kind == linkage ? "rss_sim" : "rss_sim_\(kind)",
                "midflightd (\(kind)) RSS idle, simulated board's 4 services (\(simulated.anonymous / 1024) MB anon, \(simulated.file / 1024) MB file)",
                kilobytes: simulated.total)
        }

        let board = scratch + "/board-100"
        mkdir(board, 0o755)
        let lines = (0..<100).map { #"{ "offset": \#($0), "name": "c\#($0)" }"# }
        let boardJSON = """
            { "name": "bench-100", "backend": "simulated",
              "gpio": [ { "chip": "gpiochip0", "label": "bench", "lineCount": 100, "lines": [\(lines.joined(separator: ", "))] } ] }
            """
        try FileSystem.writeAtomically(Array(boardJSON.utf8), to: board + "/board.json")
        _ = try config(services: 100, file: scratch + "/agent-daemon-100.json")
        FileSystem.removeTree(data)
        let hundred = try Self.resident(of: [
            daemon, "--board", board, "--config", scratch + "/agent-daemon-100.json", "--no-ssh", "--no-console", "--data-dir", data,
        ])
        figures.add(
            size: "rss_100", "midflightd (\(linkage)) RSS idle, 100 services (\(hundred.anonymous / 1024) MB anon, \(hundred.file / 1024) MB file)",
            kilobytes: hundred.total)
        for (path, kind) in daemons {
            var info = stat()
            stat(path, &info)
            figures.add(size: kind == linkage ? "binary" : "binary_\(kind)", "midflightd binary (\(kind), release, not stripped)", kilobytes: Int(info.st_size) / 1024)
        }
        if linkage == "static", let strip = OTPComparison.executable("strip") {
            let stripped = scratch + "/midflightd-stripped"
            _ = OTPComparison.capture([strip, "-o", stripped, daemon])
            var info = stat()
            if stat(stripped, &info) == 0 {
                figures.add(size: "binary_stripped", "midflightd binary (static, stripped: as shipped)", kilobytes: Int(info.st_size) / 1024)
            }
        }
    }

    /// Starts a daemon, lets it settle for 3 s, reads its VmRSS (and how much of it is
    /// anonymous memory and how much mapped file pages), stops it; in KiB.
    static func resident(of arguments: [String]) throws -> (total: Int, anonymous: Int, file: Int) {
        var pid: pid_t = 0
        var argv = arguments.map { strdup($0) } + [nil]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else {
            throw BenchmarkFailure("cannot run \(arguments[0])")
        }
        sleep(3)
        let rss = Self.status(of: "\(pid)", field: "VmRSS:")
        let anonymous = Self.status(of: "\(pid)", field: "RssAnon:")
        let file = Self.status(of: "\(pid)", field: "RssFile:")
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard rss > 0 else { throw BenchmarkFailure("\(arguments[0]) exited before its RSS was read (status \(status))") }
        return (rss, anonymous, file)
    }

    /// A kB field of /proc/PID/status.
    static func status(of pid: String, field: String) -> Int {
        guard let bytes = try? FileSystem.read("/proc/\(pid)/status") else { return 0 }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    /// 10 000 swaps while another thread toggles the service's line without pause: every
    /// edge must be counted (rising + falling in the module's state across all the
    /// transforms), and the process must not grow.
    func soak(_ figures: inout Figures) throws {
        let (runtime, board) = try agent(services: 1, data: scratch + "/data-soak")
        defer { runtime.shutdown() }
        let bundles = [try ModuleBundle.create(wasm: v2, key: key), try ModuleBundle.create(wasm: v1, key: key)]
        let push = ModulePush(handle: runtime, trustedKeys: trust)
        for round in 0..<200 { _ = try push.push(bundles[round % 2], allowDowngrade: true) }
        let rssBefore = Self.status(of: "self", field: "VmRSS:")
        let stop = Atomic(false)
        let driven = Atomic(0)
        spawnThread {
            var level = false
            while !stop.load(ordering: .acquiring) {
                level.toggle()
                try? board.drive(chip: "gpiochip0", line: .offset(0), to: level)
                driven.add(1, ordering: .releasing)
                usleep(200)
            }
        }
        let start = Benchmarks.now()
        for round in 0..<10_000 {
            _ = try push.push(bundles[round % 2], allowDowngrade: true)
        }
        let seconds = Double(Benchmarks.now() - start) / 1e9
        stop.store(true, ordering: .releasing)
        usleep(500_000)
        let edges = driven.load(ordering: .acquiring)
        // The module publishes on its 100 ms timer; two periods make the last edges visible.
        usleep(300_000)
        let readings = try runtime.perform { runtime in Result(catching: { try runtime.console.serviceSummary("c0") }) }.get().readings
        let counted = Int((readings.first { $0.0 == "rising" }?.1 ?? 0) + (readings.first { $0.0 == "falling" }?.1 ?? 0))
        let rssAfter = Self.status(of: "self", field: "VmRSS:")
        print("  soak: 10000 swaps in \(FirmwareBenchmarks.format(seconds)) s under \(edges) edges; counted \(counted), lost \(edges - counted); RSS \(rssBefore) → \(rssAfter) kB")
        figures.soak = (swaps: 10_000, sent: edges, lost: edges - counted, growthKilobytes: rssAfter - rssBefore)
    }
}
