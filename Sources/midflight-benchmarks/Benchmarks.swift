#if canImport(Glibc)
import Glibc
#endif
import Hardware
import ModuleHost
import ModuleRuntime
import ModuleTools
import SimulatedHardware
import Boards

/// Prints the module runtime's figures: verify (parse + checks), instantiate, and the
/// cost of dispatching events into a module; then firmware install throughput and memory. Run it release-built:
/// `swift run -c release midflight-benchmarks`.
@main
struct Benchmarks {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Median, p99 and max of `runs` timings of `body`, in nanoseconds.
    static func measure(_ name: String, runs: Int, _ body: () throws -> Void) rethrows {
        var samples: [UInt64] = []
        samples.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = now()
            try body()
            samples.append(now() - start)
        }
        samples.sort()
        func show(_ value: UInt64) -> String {
            value >= 1_000_000 ? "\(Double(value / 1000) / 1000) ms" : "\(Double(value / 10) / 100) µs"
        }
        let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        print("\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) median \(show(samples[samples.count / 2]).padding(toLength: 12, withPad: " ", startingAt: 0)) p99 \(show(p99).padding(toLength: 12, withPad: " ", startingAt: 0)) max \(show(samples.last ?? 0))  (n=\(runs))")
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

        let board = SimulatedBoard(
            SimulatedBoardSpec(
                name: "bench",
                buses: [.init(number: 1, devices: [.init(address: 0x68, model: .ds3231(.init(), temperature: 22))])],
                chips: [.init(name: "gpiochip0", label: "bench", lineCount: 8, lines: [.init(offset: 1, name: "pulse", drive: .pulses(hertz: 0))])]),
            clock: ManualClock())
        let time = SimulatedSystemTime(clock: board.clock, synchronized: true)
        let rtcGrants = ServiceGrants(i2c: [try ServiceGrants.parseI2C("i2c-1@0x68")], clockSet: true)

        try measure("verify rtc.wasm (parse, manifest, ABI)", runs: 200) {
            _ = try ModuleArtifact(bytes: rtcBytes, source: "rtc", engine: engine)
        }
        let artifact = try ModuleArtifact(bytes: rtcBytes, source: "rtc", engine: engine)
        try measure("instantiate rtc (eager compile)", runs: 200) {
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
        try measure("rtc tick (2 I2C block reads, publishes)", runs: 5000) { try instance.tick() }

        let counterArtifact = try ModuleArtifact(bytes: counterBytes, source: "pulse-counter", engine: engine)
        let counterResources = try ServiceResources(
            serviceName: "flow", manifest: counterArtifact.manifest, grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:pulse")]),
            parameters: counterArtifact.manifest.parameters.map(\.defaultValue), backend: board, time: time)
        let counterInstance = try ModuleInstance(artifact: counterArtifact, resources: counterResources, engine: engine)
        try counterInstance.start()
        try measure("pulse-counter edge (trivial event)", runs: 20000) {
            try counterInstance.edge(line: 0, rising: true, timestampNanoseconds: 0)
        }
        var closureCount = 0
        let closure: (Int) -> Void = { closureCount += $0 }
        measure("anchor: native Swift closure call", runs: 20000) { closure(1) }
        try measure("snapshot + code_change (pulse-counter state)", runs: 1000) {
            let state = try counterInstance.snapshot()
            try counterInstance.codeChange(from: counterArtifact.manifest.version, state: state)
        }
        try FirmwareBenchmarks.run(scratch: scratch)
    }
}
