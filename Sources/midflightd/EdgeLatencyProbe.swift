#if canImport(Glibc)
import Glibc
#endif
import Boards
import Hardware
import HardwareContract
import LinuxHardware
import ModuleHost
import ModuleRuntime
import Platform

/// `midflightd contract --latency-module`: gpio-sim pull write → a module's edge handler
/// returned, measured the way `board/qemu-x86_64/edge-latency.c` measures a plain libgpiod
/// read loop (one thread: write, wait, read, here also the handler), so the two figures
/// differ only by our backend and the module call.
struct EdgeLatencyProbe {
    let chip: String
    let line: Int
    let pullFile: String
    let modulePath: String
    let count: Int

    func run() throws -> String {
        let engine = ModuleEngine()
        let artifact = try ModuleArtifact(bytes: try FileSystem.read(modulePath), source: modulePath, engine: engine)
        let resources: ServiceResources
        do {
            resources = try ServiceResources(
                serviceName: "probe", manifest: artifact.manifest, grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("\(chip):\(line)")]),
                parameters: artifact.manifest.parameters.map(\.defaultValue), backend: LinuxBoard(), time: LinuxSystemTime())
        } catch {
            throw ContractFailure("\(error)")
        }
        defer { resources.release() }
        let instance = try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
        try instance.start()
        guard let request = resources.edgeLines.first?.request else { throw ContractFailure("\(artifact.manifest.name) watches no edges") }
        let pull = open(pullFile, O_WRONLY | O_CLOEXEC)
        guard pull >= 0 else { throw ContractFailure("open \(pullFile): \(String(cString: strerror(errno)))") }
        defer { close(pull) }
        func drive(_ level: Bool) {
            let text = level ? "pull-up" : "pull-down"
            _ = text.withCString { pwrite(pull, $0, strlen($0), 0) }
        }
        drive(false)
        _ = try request.waitForEdges(timeoutNanoseconds: 100_000_000)
        var fromWrite: [UInt64] = []
        var fromTimestamp: [UInt64] = []
        var lost = 0
        for _ in 0..<count {
            let start = monotonicNanoseconds()
            drive(true)
            let events = try request.waitForEdges(timeoutNanoseconds: 1_000_000_000)
            guard let event = events.first else {
                lost += 1
                drive(false)
                continue
            }
            for event in events {
                try instance.edge(line: 0, rising: event.edge == .rising, timestampNanoseconds: Int64(event.timestampNanoseconds))
            }
            let done = monotonicNanoseconds()
            fromWrite.append(done - start)
            fromTimestamp.append(done - min(done, event.timestampNanoseconds))
            // The falling edge is not watched by a rising-edge module; it only re-arms.
            drive(false)
            _ = try request.waitForEdges(timeoutNanoseconds: 0)
        }
        guard !fromWrite.isEmpty else { throw ContractFailure("no edge arrived in \(count) tries") }
        func figures(_ samples: [UInt64]) -> String {
            let sorted = samples.sorted()
            func show(_ value: UInt64) -> String { "\(Double(value / 100) / 10) us" }
            return "median \(show(sorted[sorted.count / 2])) p99 \(show(sorted[min(sorted.count - 1, sorted.count * 99 / 100)])) max \(show(sorted[sorted.count - 1]))"
        }
        return """
            midflightd edge → \(artifact.manifest.name) handler returned: \(figures(fromWrite)) (n=\(count), lost=\(lost))
            midflightd edge timestamp → handler returned: \(figures(fromTimestamp))
            """
    }
}
