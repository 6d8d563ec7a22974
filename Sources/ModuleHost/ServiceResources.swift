import Hardware
import Manifests
import ModuleABI

/// The hardware and clocks one service holds, checked against its grants, with the
/// ABI's status codes as results. The wasm host functions and the native test host both
/// call through this, so a module sees the same behaviour in both.
///
/// Not thread-safe: one service's calls are made one at a time, by its own executor.
public final class ServiceResources {
    /// Why a service cannot get its resources: what the manifest asks does not match the
    /// grants, or the hardware refused.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        /// `module` (name and version) needs `need` (I2C devices, GPIO lines, the clock),
        /// and `service` is granted `granted`.
        case notGranted(module: String, need: String, service: String, granted: String)
        /// `module` sets the system clock, and `service` is not granted the clock.
        case clockNotGranted(module: String, service: String)
        /// `module` has no parameter `name` (a test host asked for one).
        case noParameter(module: String, name: String)
        /// The hardware refused (no device, line busy, …).
        case hardware(service: String, HardwareError)
        /// `module` requests its lines otherwise than the version that holds them.
        case linesRequestedDifferently(module: String)

        public var description: String {
            switch self {
            case .notGranted(let module, let need, let service, let granted):
                return "\(module) needs \(need) but service \(service) is granted \(granted)"
            case .clockNotGranted(let module, let service):
                return "\(module) needs to set the system clock, which service \(service) is not granted"
            case .noParameter(let module, let name):
                return "\(module) has no parameter \(name)"
            case .hardware(let service, let error):
                return "\(service): \(error)"
            case .linesRequestedDifferently(let module):
                return "\(module) requests its GPIO lines differently; restart the service instead"
            }
        }

        public var message: String { description }
    }

    public let serviceName: String
    /// The manifest of the module version using these resources (changes on a hot swap).
    public private(set) var manifest: ModuleManifest
    public let grants: ServiceGrants
    private let backend: any HardwareBackend
    private let time: any SystemTime
    private var devices: [I2CDevice] = []
    private var lines: [any GPIOLineRequest] = []

    /// Current parameter values, in manifest order.
    public var parameters: [Double]
    /// The tick period the module asked for; 0 when the timer is off.
    public private(set) var timerPeriodMilliseconds = 0
    /// Called for each log line, each published reading, and each console reply.
    public var onLog: (LogLevel, String) -> Void = { _, _ in }
    public var onPublish: (String, Double) -> Void = { _, _ in }
    public var onReply: ([UInt8]) -> Void = { _ in }
    /// The bytes of the last `state_put` (during a snapshot).
    public var lastState: [UInt8]?
    /// How long one event (a tick, an edge, a call, init…) may take: its fuel is sized to
    /// it on this machine, and a host call after it is refused. Set per service by the config.
    public var eventBudgetNanoseconds: UInt64 = ServiceResources.defaultEventBudgetNanoseconds
    /// The budget of a service whose config says nothing (`eventBudgetMs`): 100 ms.
    public static let defaultEventBudgetNanoseconds: UInt64 = 100_000_000
    /// The size of a state `state_put` refused as larger than `stateLimit`.
    public var refusedStateBytes: Int?

    /// Log severity, as the ABI numbers it.
    public enum LogLevel: Int, Sendable, Comparable {
        case debug = 0, info, warning, error

        /// The word a log line shows.
        public var name: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .warning: return "warning"
            case .error: return "error"
            }
        }

        public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Checks `manifest` against `grants` (one grant per declared role, the clock only if
    /// granted) and opens the devices and requests the lines, named after the service.
    public init(
        serviceName: String, manifest: ModuleManifest, grants: ServiceGrants, parameters: [Double],
        backend: any HardwareBackend, time: any SystemTime
    ) throws(Refusal) {
        self.serviceName = serviceName
        self.manifest = manifest
        self.grants = grants
        self.parameters = parameters
        self.backend = backend
        self.time = time
        try ServiceResources.check(manifest: manifest, against: grants, service: serviceName)
        do {
            try acquire()
        } catch {
            release()
            throw .hardware(service: serviceName, error)
        }
    }

    /// Refuses a manifest that asks for more (or other) than the service is granted.
    public static func check(manifest: ModuleManifest, against grants: ServiceGrants, service: String) throws(Refusal) {
        let module = "\(manifest.name) \(manifest.version)"
        guard manifest.i2c.count == grants.i2c.count else {
            throw .notGranted(
                module: module, need: "\(manifest.i2c.count) I2C device(s) (\(manifest.i2c.map(\.role).joined(separator: ", ")))",
                service: service, granted: "\(grants.i2c.count)")
        }
        guard manifest.gpio.count == grants.gpio.count else {
            throw .notGranted(
                module: module, need: "\(manifest.gpio.count) GPIO line(s) (\(manifest.gpio.map(\.role).joined(separator: ", ")))",
                service: service, granted: "\(grants.gpio.count)")
        }
        if manifest.clockSet, !grants.clockSet {
            throw .clockNotGranted(module: module, service: service)
        }
    }

    private func acquire() throws(HardwareError) {
        for grant in grants.i2c {
            devices.append(try backend.i2cBus(grant.bus).device(at: grant.address))
        }
        for (grant, need) in zip(grants.gpio, manifest.gpio) {
            let chip = try backend.gpioChip(grant.chip)
            let offset = try chip.resolve(grant.line)
            switch need.direction {
            case .input:
                lines.append(try chip.requestInput(offset, consumer: serviceName, edges: need.edges, bias: need.bias))
            case .output:
                lines.append(try chip.requestOutput(offset, consumer: serviceName, initialValue: false))
            }
        }
    }

    /// Whether another version of the module can take these resources over in a hot swap:
    /// it must fit the grants and request its lines the same way, since they stay requested.
    public func checkAdoptable(_ next: ModuleManifest) throws(Refusal) {
        try ServiceResources.check(manifest: next, against: grants, service: serviceName)
        guard next.gpio.map({ [$0.direction.rawValue, $0.edges.rawValue, $0.bias.rawValue] })
            == manifest.gpio.map({ [$0.direction.rawValue, $0.edges.rawValue, $0.bias.rawValue] })
        else {
            throw .linesRequestedDifferently(module: "\(next.name) \(next.version)")
        }
    }

    /// Hands the resources to another version of the module (the switch of a hot swap).
    public func adopt(_ next: ModuleManifest, parameters values: [Double]) throws(Refusal) {
        try checkAdoptable(next)
        manifest = next
        parameters = values
    }

    /// Gives every line back (a restart requests them again, so nothing stays "busy").
    public func release() {
        lines.forEach { $0.release() }
        lines.removeAll()
        devices.removeAll()
    }

    /// The requested lines with edge detection, with their index, for the event loop.
    public var edgeLines: [(index: Int, request: any GPIOLineRequest)] {
        lines.enumerated().filter { manifest.gpio[$0.offset].edges != .none }.map { ($0.offset, $0.element) }
    }

    // MARK: Host calls

    static func status(_ error: HardwareError) -> Int32 {
        let status: ModuleABI.Status
        switch error.kind {
        case .noDevice: status = .noDevice
        case .nack: status = .nack
        case .timeout: status = .timeout
        case .busy: status = .busy
        case .permission: status = .permission
        case .invalidArgument: status = .invalidArgument
        case .unsupported: status = .unsupported
        case .io: status = .io
        }
        return status.rawValue
    }

    public func i2cRead(device: Int, register: UInt8, count: Int) -> ([UInt8], Int32) {
        guard devices.indices.contains(device) else { return ([], ModuleABI.Status.notGranted.rawValue) }
        guard (1...smbusBlockMax).contains(count) else { return ([], ModuleABI.Status.invalidArgument.rawValue) }
        do {
            let bytes = try count == 1 ? [devices[device].readByte(register: register)] : devices[device].readBlock(register: register, count: count)
            return (bytes, ModuleABI.Status.ok.rawValue)
        } catch {
            return ([], ServiceResources.status(error))
        }
    }

    public func i2cWrite(device: Int, register: UInt8, bytes: [UInt8]) -> Int32 {
        guard devices.indices.contains(device) else { return ModuleABI.Status.notGranted.rawValue }
        guard (1...smbusBlockMax).contains(bytes.count) else { return ModuleABI.Status.invalidArgument.rawValue }
        do {
            if bytes.count == 1 {
                try devices[device].writeByte(bytes[0], register: register)
            } else {
                try devices[device].writeBlock(bytes, register: register)
            }
            return ModuleABI.Status.ok.rawValue
        } catch {
            return ServiceResources.status(error)
        }
    }

    public func gpioRead(line: Int) -> Int32 {
        guard lines.indices.contains(line) else { return ModuleABI.Status.notGranted.rawValue }
        do {
            return try lines[line].read() ? 1 : 0
        } catch {
            return ServiceResources.status(error)
        }
    }

    public func gpioWrite(line: Int, value: Bool) -> Int32 {
        guard lines.indices.contains(line) else { return ModuleABI.Status.notGranted.rawValue }
        guard manifest.gpio[line].direction == .output else { return ModuleABI.Status.invalidArgument.rawValue }
        do {
            try lines[line].write(value)
            return ModuleABI.Status.ok.rawValue
        } catch {
            return ServiceResources.status(error)
        }
    }

    /// Timer periods below 1 ms or above a day are refused.
    public func timerEvery(milliseconds: Int) -> Int32 {
        guard milliseconds == 0 || (1...86_400_000).contains(milliseconds) else {
            return ModuleABI.Status.invalidArgument.rawValue
        }
        timerPeriodMilliseconds = milliseconds
        return ModuleABI.Status.ok.rawValue
    }

    /// Puts back the timer an earlier version had set (a swap undone).
    public func restoreTimer(milliseconds: Int) {
        timerPeriodMilliseconds = milliseconds
    }

    public func monotonicNanoseconds() -> Int64 { time.monotonicNanoseconds }
    public func wallNanoseconds() -> Int64 { time.wallNanoseconds }
    public func wallSynchronized() -> Bool { time.isSynchronized }

    public func setWall(nanoseconds: Int64) -> Int32 {
        guard grants.clockSet, manifest.clockSet else { return ModuleABI.Status.notGranted.rawValue }
        do {
            try time.setWall(nanoseconds: nanoseconds)
            return ModuleABI.Status.ok.rawValue
        } catch {
            return ServiceResources.status(error)
        }
    }

    /// Log lines are capped at 512 bytes and must be UTF-8 (invalid bytes are replaced).
    public func log(level: Int, bytes: [UInt8]) {
        onLog(LogLevel(rawValue: min(max(level, 0), 3)) ?? .info, String(decoding: bytes.prefix(512), as: UTF8.self))
    }

    /// Reading names are 1–64 bytes of printable ASCII; values are finite.
    public func publish(name: [UInt8], value: Double) -> Int32 {
        guard (1...64).contains(name.count), name.allSatisfy({ (0x21...0x7E).contains($0) }), value.isFinite else {
            return ModuleABI.Status.invalidArgument.rawValue
        }
        onPublish(String(decoding: name, as: UTF8.self), value)
        return ModuleABI.Status.ok.rawValue
    }

    public func parameter(index: Int) -> Double {
        parameters.indices.contains(index) ? parameters[index] : .nan
    }

    /// State is capped at 64 KiB.
    public func statePut(bytes: [UInt8]) -> Int32 {
        guard bytes.count <= ServiceResources.stateLimit else { return ModuleABI.Status.invalidArgument.rawValue }
        lastState = bytes
        return ModuleABI.Status.ok.rawValue
    }

    public func reply(bytes: [UInt8]) -> Int32 {
        guard bytes.count <= 4096 else { return ModuleABI.Status.invalidArgument.rawValue }
        onReply(bytes)
        return ModuleABI.Status.ok.rawValue
    }

    public static let stateLimit = 65_536
}
