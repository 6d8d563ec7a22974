#if canImport(Glibc)
import Glibc
#endif
import Hardware
import ModuleHost
import ModuleRuntime
import ModuleTools
import Platform
import SimulatedHardware
import Boards

/// Prints the module runtime's figures (verify, instantiate, event dispatch), the agent's
/// (swap pause, 100 services, restart, calls, footprint, soak), firmware install
/// throughput and memory, and then runs the Erlang/OTP equivalents and prints both side by
/// side. Run it release-built: `swift build -c release --product midflightd &&
/// swift run -c release midflight-benchmarks` (docs/benchmarks.md).
@main
struct Benchmarks {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// `runs` timings of `body`, into `figures` under `key`.
    static func measure(_ key: String, _ name: String, runs: Int, into figures: inout Figures, _ body: () throws -> Void) rethrows {
        var samples: [UInt64] = []
        samples.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = now()
            try body()
            samples.append(now() - start)
        }
        figures.add(key, name, samples)
    }

    static func main() throws {
        let builder = try ModuleBuilder.standard()
        let engine = ModuleEngine()
        let scratch = "/tmp/midflight-benchmarks-\(getpid())"
        mkdir(scratch, 0o755)
        let rtc = try builder.build(builder.sdkDirectory + "/../Modules/rtc", output: scratch + "/rtc.wasm")
        let counter = try builder.build(builder.sdkDirectory + "/../Modules/pulse-counter", output: scratch + "/pulse-counter.wasm")
        let rtcBytes = try FileSystem.read(rtc.path)
        let counterBytes = try FileSystem.read(counter.path)
        print("module sizes: rtc \(rtcBytes.count) B, pulse-counter \(counterBytes.count) B")

        var figures = Figures()
        let board = SimulatedBoard(
            SimulatedBoardSpec(
                name: "bench",
                buses: [.init(number: 1, devices: [.init(address: 0x68, model: .ds3231(.init(), temperature: 22))])],
                chips: [.init(name: "gpiochip0", label: "bench", lineCount: 8, lines: [.init(offset: 1, name: "pulse", drive: .pulses(hertz: 0))])]),
            clock: ManualClock())
        let time = SimulatedSystemTime(clock: board.clock, synchronized: true)
        let rtcGrants = ServiceGrants(i2c: [try ServiceGrants.parseI2C("i2c-1@0x68")], clockSet: true)

        try measure("verify", "verify rtc.wasm (parse, manifest, ABI)", runs: 200, into: &figures) {
            _ = try ModuleArtifact(bytes: rtcBytes, source: "rtc", engine: engine)
        }
        let artifact = try ModuleArtifact(bytes: rtcBytes, source: "rtc", engine: engine)
        try measure("instantiate", "instantiate rtc (eager compile)", runs: 200, into: &figures) {
            let resources = try ServiceResources(
                serviceName: "rtc", manifest: artifact.manifest, grants: rtcGrants, parameters: artifact.manifest.parameters.map(\.defaultValue),
                backend: board, time: time)
            _ = try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
        }
        let resources = try ServiceResources(
            serviceName: "rtc", manifest: artifact.manifest, grants: rtcGrants, parameters: artifact.manifest.parameters.map(\.defaultValue),
            backend: board, time: time)
        let instance = try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
        try instance.start()
        try measure("rtc_tick", "rtc tick (2 I2C block reads, publishes)", runs: 5000, into: &figures) { try instance.tick() }

        let counterArtifact = try ModuleArtifact(bytes: counterBytes, source: "pulse-counter", engine: engine)
        let counterResources = try ServiceResources(
            serviceName: "flow", manifest: counterArtifact.manifest, grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:pulse")]),
            parameters: counterArtifact.manifest.parameters.map(\.defaultValue), backend: board, time: time)
        let counterInstance = try ModuleInstance(artifact: counterArtifact, resources: counterResources, engine: engine)
        try counterInstance.start()
        try measure("edge", "pulse-counter edge (trivial event)", runs: 20000, into: &figures) {
            try counterInstance.edge(line: 0, rising: true, timestampNanoseconds: 0)
        }
        var closureCount = 0
        let closure: (Int) -> Void = { closureCount += $0 }
        measure("closure", "anchor: native Swift closure call", runs: 20000, into: &figures) { closure(1) }
        let state = try counterInstance.snapshot()
        try measure("snapshot", "snapshot alone (pulse-counter state)", runs: 1000, into: &figures) { _ = try counterInstance.snapshot() }
        try measure("code_change_only", "code_change alone (pulse-counter state)", runs: 1000, into: &figures) {
            try counterInstance.codeChange(from: counterArtifact.manifest.version, state: state)
        }
        try measure("code_change", "snapshot + code_change (pulse-counter state)", runs: 1000, into: &figures) {
            let state = try counterInstance.snapshot()
            try counterInstance.codeChange(from: counterArtifact.manifest.version, state: state)
        }
        // Sections to run (default all): `agent` (or only its `restart` or `isolation`), `firmware`, `otp`; the module figures always run.
        let sections = Set(CommandLine.arguments.dropFirst())
        if sections.isEmpty || sections.contains("agent") {
            print("agent (in process, simulated board):")
            try AgentBenchmarks(scratch: scratch, builder: builder).run(&figures)
        } else if sections.contains("restart") {
            // The restart figures alone, for profiling (`perf record`, `valgrind --tool=callgrind`).
            try AgentBenchmarks(scratch: scratch, builder: builder).restart(&figures, standby: true)
        } else if sections.contains("isolation") {
            // What a hostile service costs a well-behaved one, alone.
            try AgentBenchmarks(scratch: scratch, builder: builder).hostileNeighbour(&figures)
        }
        if sections.isEmpty || sections.contains("firmware") { try FirmwareBenchmarks.run(scratch: scratch) }
        if sections.isEmpty || sections.contains("otp") {
            OTPComparison.run(scratch: scratch, sources: builder.sdkDirectory + "/../midflight-benchmarks/OTP", ours: figures)
        }
    }
}
