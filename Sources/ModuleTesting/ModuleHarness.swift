import Boards
import Hardware
import Manifests
import ModuleABI
import ModuleHost
import ModuleSDK
import Platform

/// Runs a module natively against a (usually simulated) board, the way the agent runs
/// its wasm build: same manifest, same grant checks, same host behaviour. For unit tests
/// of a module's logic with `swift test`.
public final class ModuleHarness<Module: DeviceModule>: NativeModuleHost {
    public let resources: ServiceResources
    public private(set) var module: Module?
    public private(set) var logs: [(level: ServiceResources.LogLevel, message: String)] = []
    /// The latest value of every published reading.
    public private(set) var readings: [String: Double] = [:]
    /// Every publish, in order.
    public private(set) var published: [(name: String, value: Double)] = []
    private var reply: [UInt8] = []
    /// What the module last reported with `Host.reportHealth` (`healthy` until it does).
    public private(set) var health = HealthReport.healthy

    /// Loads the manifest at `manifestPath`, checks it against `grants`, takes the
    /// resources, and applies parameter overrides by name.
    public init(
        manifestPath: String, serviceName: String, grants: ServiceGrants, backend: any HardwareBackend,
        time: any SystemTime, parameters overrides: [String: Double] = [:]
    ) throws {
        let manifest = try ModuleManifest.parse(try readFile(manifestPath), file: manifestPath)
        var values = manifest.parameters.map(\.defaultValue)
        for (name, value) in overrides {
            guard let (index, parameter) = manifest.parameter(named: name) else {
                throw ServiceResources.Refusal.noParameter(module: manifest.name, name: name)
            }
            values[index] = try parameter.validate(value)
        }
        resources = try ServiceResources(
            serviceName: serviceName, manifest: manifest, grants: grants, parameters: values, backend: backend, time: time)
        resources.onLog = { [unowned self] level, message in logs.append((level, message)) }
        resources.onPublish = { [unowned self] name, value in
            readings[name] = value
            published.append((name, value))
        }
        resources.onReply = { [unowned self] bytes in reply = bytes }
    }

    deinit {
        resources.release()
    }

    public var manifest: ModuleManifest { resources.manifest }

    private func run(_ body: () -> Void) {
        NativeHostBridge.with(self, body)
    }

    /// `mf_init`.
    public func start() {
        run { module = Module() }
    }

    public func tick() {
        run { module?.tick() }
    }

    public func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        run { module?.edge(line: line, rising: rising, timestampNanoseconds: timestampNanoseconds) }
    }

    /// Delivers every pending edge on the module's lines, oldest first; returns how many.
    @discardableResult
    public func deliverEdges() throws -> Int {
        var delivered = 0
        for (index, request) in resources.edgeLines {
            for event in try request.waitForEdges(timeoutNanoseconds: 0) {
                edge(line: index, rising: event.edge == .rising, timestampNanoseconds: Int64(event.timestampNanoseconds))
                delivered += 1
            }
        }
        return delivered
    }

    /// Sets a parameter by name, validated as the console would.
    public func setParameter(_ name: String, _ value: Double) throws {
        guard let (index, parameter) = manifest.parameter(named: name) else {
            throw ServiceResources.Refusal.noParameter(module: manifest.name, name: name)
        }
        resources.parameters[index] = try parameter.validate(value)
        run { module?.parameterChanged(index: index, value: value) }
    }

    public func reading(input: Int, value: Double) {
        run { module?.reading(input: input, value: value) }
    }

    public func call(_ request: [UInt8]) -> [UInt8] {
        reply = []
        run { module?.call(request) }
        return reply
    }

    /// `mf_snapshot`: the state bytes.
    public func snapshot() -> [UInt8] {
        var writer = StateWriter()
        run { module?.snapshot(into: &writer) }
        return writer.bytes
    }

    /// `mf_code_change` into another module type: a native hot swap, for testing a new
    /// version's state migration. Returns false when the new version refuses the state.
    public func upgrade(from version: ModuleVersion, state: [UInt8]) -> Bool {
        var reader = StateReader(bytes: state)
        var migrated: Module?
        run { migrated = Module(upgradingFrom: version, state: &reader) }
        guard let migrated else { return false }
        module = migrated
        return true
    }

    public func terminate() {
        run { module?.terminate() }
        module = nil
    }

    // MARK: NativeModuleHost

    public func i2cRead(device: Int, register: UInt8, count: Int) -> ([UInt8], Int32) {
        resources.i2cRead(device: device, register: register, count: count)
    }
    public func i2cWrite(device: Int, register: UInt8, bytes: [UInt8]) -> Int32 {
        resources.i2cWrite(device: device, register: register, bytes: bytes)
    }
    public func gpioRead(line: Int) -> Int32 { resources.gpioRead(line: line) }
    public func gpioWrite(line: Int, value: Bool) -> Int32 { resources.gpioWrite(line: line, value: value) }
    public func timerEvery(milliseconds: Int) -> Int32 { resources.timerEvery(milliseconds: milliseconds) }
    public func monotonicNanoseconds() -> Int64 { resources.monotonicNanoseconds() }
    public func wallNanoseconds() -> Int64 { resources.wallNanoseconds() }
    public func wallSynchronized() -> Bool { resources.wallSynchronized() }
    public func setWall(nanoseconds: Int64) -> Int32 { resources.setWall(nanoseconds: nanoseconds) }
    public func log(level: Int, bytes: [UInt8]) { resources.log(level: level, bytes: bytes) }
    public func publish(name: [UInt8], value: Double) -> Int32 { resources.publish(name: name, value: value) }
    public func parameter(index: Int) -> Double { resources.parameter(index: index) }
    public func statePut(bytes: [UInt8]) -> Int32 { resources.statePut(bytes: bytes) }
    public func reply(bytes: [UInt8]) -> Int32 { resources.reply(bytes: bytes) }

    public func reportHealth(health: Int32, reason: [UInt8]) -> Int32 {
        guard let report = HealthReport(code: health, reason: reason) else { return ModuleABI.Status.invalidArgument.rawValue }
        self.health = report
        return ModuleABI.Status.ok.rawValue
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    try FileSystem.read(path)
}
