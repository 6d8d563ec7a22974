/// The contract between the agent and a module, in one place: the ABI version, every
/// import the host provides and every export a module must have, with their wasm
/// signatures, and the status codes host calls return.
///
/// Changing anything here changes the ABI: bump `version`, update `docs/module-abi.md`
/// and the golden test (`ModuleABITests`), which fails until all three agree.
public enum ModuleABI {
    public static let version: Int32 = 2

    /// The oldest ABI a module may still be built for: version 1 modules load and run,
    /// without what later versions added (they never report their health).
    public static let oldestSupportedVersion: Int32 = 1

    /// The import module name every host function lives in.
    public static let importModule = "midflight"

    /// The custom section holding the module's manifest (JSON) in a built `.wasm`.
    public static let manifestSection = "midflight.manifest"

    /// A wasm value type, as it appears in signatures.
    public enum ValueType: String, Hashable, Sendable {
        case i32, i64, f64
    }

    /// A function signature: name, parameters, results.
    public struct Function: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public let parameters: [ValueType]
        public let results: [ValueType]

        public init(_ name: String, _ parameters: [ValueType], _ results: [ValueType]) {
            self.name = name
            self.parameters = parameters
            self.results = results
        }

        public var description: String {
            "\(name)(\(parameters.map(\.rawValue).joined(separator: ", "))) -> (\(results.map(\.rawValue).joined(separator: ", ")))"
        }
    }

    /// What a module exports. The host calls exactly these; a module missing one is refused.
    public enum Export {
        /// `() -> i32`: the ABI version the module was built for.
        public static let abiVersion = Function("mf_abi_version", [], [.i32])
        /// `(size) -> ptr`: guest memory for the host to write into (state, call input); 0 on failure.
        public static let alloc = Function("mf_alloc", [.i32], [.i32])
        /// `() -> status`: start with fresh state (parameters are readable from here on).
        public static let initialize = Function("mf_init", [], [.i32])
        /// `() -> status`: the timer set with `timer_every` fired.
        public static let tick = Function("mf_tick", [], [.i32])
        /// `(line, rising, timestamp_ns) -> status`: an edge on granted line `line`.
        public static let edge = Function("mf_edge", [.i32, .i32, .i64], [.i32])
        /// `(index, value) -> status`: parameter `index` changed to `value`.
        public static let parameter = Function("mf_param", [.i32, .f64], [.i32])
        /// `(input, value) -> status`: a reading from another service arrived on input `input`.
        public static let reading = Function("mf_reading", [.i32, .f64], [.i32])
        /// `(ptr, len) -> status`: a console call; the reply goes through `reply`.
        public static let call = Function("mf_call", [.i32, .i32], [.i32])
        /// `() -> status`: hand the state to the host through `state_put`.
        public static let snapshot = Function("mf_snapshot", [], [.i32])
        /// `(from_version, ptr, len) -> status`: start from the state of another version
        /// (packed `major << 20 | minor << 10 | patch`) instead of `mf_init`.
        public static let codeChange = Function("mf_code_change", [.i32, .i32, .i32], [.i32])
        /// `() -> status`: the service is stopping.
        public static let terminate = Function("mf_terminate", [], [.i32])

        public static let all: [Function] = [
            abiVersion, alloc, initialize, tick, edge, parameter, reading, call, snapshot, codeChange, terminate,
        ]
    }

    /// What the host provides, in `importModule`. A module importing anything else is refused.
    public enum Import {
        /// `(device, register, ptr, len) -> status`: read `len` (1–32) registers of granted I2C device `device`.
        public static let i2cRead = Function("i2c_read", [.i32, .i32, .i32, .i32], [.i32])
        /// `(device, register, ptr, len) -> status`: write `len` (1–32) registers.
        public static let i2cWrite = Function("i2c_write", [.i32, .i32, .i32, .i32], [.i32])
        /// `(line) -> 0 | 1 | status`: the level of granted line `line`.
        public static let gpioRead = Function("gpio_read", [.i32], [.i32])
        /// `(line, value) -> status`: drive granted output line `line`.
        public static let gpioWrite = Function("gpio_write", [.i32, .i32], [.i32])
        /// `(milliseconds) -> status`: call `mf_tick` every period (0 stops the timer).
        public static let timerEvery = Function("timer_every", [.i32], [.i32])
        /// `() -> ns`: CLOCK_MONOTONIC.
        public static let monotonicNanoseconds = Function("clock_monotonic_ns", [], [.i64])
        /// `() -> ns`: Unix time.
        public static let wallNanoseconds = Function("clock_wall_ns", [], [.i64])
        /// `() -> 0 | 1`: whether the system clock is synchronized (NTP or a trusted source).
        public static let wallSynchronized = Function("clock_wall_synchronized", [], [.i32])
        /// `(ns) -> status`: set the system clock; needs the `clockSet` grant.
        public static let setWall = Function("clock_set_wall_ns", [.i64], [.i32])
        /// `(level, ptr, len)`: a log line (0 debug, 1 info, 2 warning, 3 error).
        public static let log = Function("log", [.i32, .i32, .i32], [])
        /// `(name_ptr, name_len, value) -> status`: publish a reading.
        public static let publish = Function("publish", [.i32, .i32, .f64], [.i32])
        /// `(index) -> value`: the current value of parameter `index` (NaN if there is none).
        public static let parameter = Function("param_get", [.i32], [.f64])
        /// `(ptr, len) -> status`: the state bytes, during `mf_snapshot`.
        public static let statePut = Function("state_put", [.i32, .i32], [.i32])
        /// `(ptr, len) -> status`: the reply to the console call in progress.
        public static let reply = Function("reply", [.i32, .i32], [.i32])
        /// `(health, ptr, len) -> status`: the service says how it is (`Health`) and why
        /// (a reason of at most `healthReasonLimit` bytes; empty when healthy). Since ABI 2.
        public static let reportHealth = Function("health_report", [.i32, .i32, .i32], [.i32])

        public static let all: [Function] = [
            i2cRead, i2cWrite, gpioRead, gpioWrite, timerEvery, monotonicNanoseconds, wallNanoseconds,
            wallSynchronized, setWall, log, publish, parameter, statePut, reply, reportHealth,
        ]

        /// The ABI version that added an import (absent: version 1). A module built for an
        /// older ABI that imports it is refused.
        public static func introduced(_ function: Function) -> Int32 {
            function == reportHealth ? 2 : 1
        }
    }

    /// What a service reports about itself with `health_report`.
    public enum Health: Int32, CaseIterable, Sendable {
        /// Doing its job (what every service is until it says otherwise).
        case healthy = 0
        /// Working, but not fully (the RTC's time is not valid yet, no pulses lately):
        /// shown everywhere, never a reason to roll back.
        case degraded = 1
        /// Cannot do its job (the chip does not answer): the service is unhealthy, which
        /// fails a swap's probation and a firmware's trial boot.
        case failing = 2
    }

    /// The `log` level of an error line (0 debug, 1 info, 2 warning, 3 error).
    public static let errorLogLevel: Int32 = 3

    /// The longest health reason kept, in bytes.
    public static let healthReasonLimit = 200

    /// Status codes: 0 is success; host calls and module exports return these.
    public enum Status: Int32, CaseIterable, Sendable {
        case ok = 0
        /// The device, line or capability is not granted to this service.
        case notGranted = -1
        /// A pointer and length that do not lie inside the module's memory.
        case badPointer = -2
        case nack = -3
        case timeout = -4
        case busy = -5
        case noDevice = -6
        case invalidArgument = -7
        case io = -8
        case unsupported = -9
        case permission = -10
        /// The module could not do what it was asked (its own failure).
        case failed = -11
        /// A version the module cannot migrate state from.
        case incompatibleState = -12
    }

    /// The line that describes the whole ABI; the golden test pins it.
    public static var canonicalDescription: String {
        var lines = ["version \(version)", "import module \(importModule)", "manifest section \(manifestSection)"]
        lines += Export.all.map { "export \($0)" }
        lines += Import.all.map { Import.introduced($0) > 1 ? "import \($0) since \(Import.introduced($0))" : "import \($0)" }
        lines += Status.allCases.map { "status \($0) = \($0.rawValue)" }
        lines += Health.allCases.map { "health \($0) = \($0.rawValue)" }
        return lines.joined(separator: "\n")
    }

    /// `major << 20 | minor << 10 | patch`, each part below 1024.
    public static func packVersion(major: Int, minor: Int, patch: Int) -> Int32 {
        Int32(major & 0x3FF) << 20 | Int32(minor & 0x3FF) << 10 | Int32(patch & 0x3FF)
    }
}
