/// What a module can ask of the agent. Every call is checked against the service's
/// grants: devices and lines are named by their index in the manifest's capability
/// lists, so a module cannot even name hardware it was not given.
public enum Host {
    /// Reads `count` (1–32) consecutive registers of granted I2C device `device`.
    public static func readRegisters(device: Int, from register: UInt8, count: Int) -> HostResult<[UInt8]> {
        guard count >= 1, count <= 32 else { return .failure(.invalidArgument) }
        var buffer = [UInt8](repeating: 0, count: count)
        let status = buffer.withUnsafeMutableBufferPointer { pointer in
            HostCalls.i2cRead(Int32(device), Int32(register), pointer.baseAddress, Int32(count))
        }
        return status == 0 ? .success(buffer) : .failure(HostStatus(code: status))
    }

    /// Writes 1–32 consecutive registers of granted I2C device `device`.
    public static func writeRegisters(device: Int, at register: UInt8, _ bytes: [UInt8]) -> HostStatus {
        guard !bytes.isEmpty, bytes.count <= 32 else { return .invalidArgument }
        var copy = bytes
        let status = copy.withUnsafeMutableBufferPointer { pointer in
            HostCalls.i2cWrite(Int32(device), Int32(register), pointer.baseAddress, Int32(pointer.count))
        }
        return HostStatus(code: status)
    }

    /// The level of granted line `line`.
    public static func readLine(_ line: Int) -> HostResult<Bool> {
        let result = HostCalls.gpioRead(Int32(line))
        return result >= 0 ? .success(result == 1) : .failure(HostStatus(code: result))
    }

    /// Drives granted output line `line`.
    public static func writeLine(_ line: Int, _ value: Bool) -> HostStatus {
        HostStatus(code: HostCalls.gpioWrite(Int32(line), value ? 1 : 0))
    }

    /// Calls `tick()` every `milliseconds` (0 stops the timer).
    @discardableResult
    public static func setTimer(everyMilliseconds milliseconds: Int) -> HostStatus {
        HostStatus(code: HostCalls.timerEvery(Int32(clamping: milliseconds)))
    }

    public static var monotonicNanoseconds: Int64 { HostCalls.monotonicNanoseconds() }

    public static var wallNanoseconds: Int64 { HostCalls.wallNanoseconds() }

    public static var isWallClockSynchronized: Bool { HostCalls.wallSynchronized() == 1 }

    /// Sets the system clock; needs the `clockSet` capability granted.
    public static func setWallClock(nanoseconds: Int64) -> HostStatus {
        HostStatus(code: HostCalls.setWall(nanoseconds))
    }

    public static func log(_ level: LogLevel, _ message: StaticString) {
        message.withUTF8Buffer { buffer in
            HostCalls.log(level.rawValue, buffer.baseAddress, Int32(buffer.count))
        }
    }

    public static func log(_ level: LogLevel, _ line: LogLine) {
        var bytes = line.bytes
        bytes.withUnsafeMutableBufferPointer { buffer in
            HostCalls.log(level.rawValue, UnsafePointer(buffer.baseAddress), Int32(buffer.count))
        }
    }

    /// Stops this service with `reason`: the agent's crash report carries it (a plain
    /// `fatalError("…")` loses its text in an `-Osize` Embedded build: the report would say
    /// only `unreachable`). Supervision then restarts the service, or on probation the
    /// version before comes back.
    public static func fail(_ reason: StaticString) -> Never {
        log(.error, reason)
        fatalError()
    }

    /// Publishes a reading (`watch SERVICE` shows it; other services can subscribe).
    @discardableResult
    public static func publish(_ name: StaticString, _ value: Double) -> HostStatus {
        name.withUTF8Buffer { buffer in
            HostStatus(code: HostCalls.publish(buffer.baseAddress, Int32(buffer.count), value))
        }
    }

    /// Says how the service is doing and why (the agent shows it, and a `failing` service
    /// is unhealthy to probation and to a firmware's trial boot). The agent keeps the last
    /// report of this version; a new instance starts `healthy`.
    @discardableResult
    public static func reportHealth(_ health: Health, _ reason: StaticString = "") -> HostStatus {
        reason.withUTF8Buffer { buffer in
            HostStatus(code: HostCalls.reportHealth(health.rawValue, buffer.baseAddress, Int32(buffer.count)))
        }
    }

    /// `reportHealth` with a reason built at run time.
    @discardableResult
    public static func reportHealth(_ health: Health, _ reason: LogLine) -> HostStatus {
        var bytes = reason.bytes
        return bytes.withUnsafeMutableBufferPointer { buffer in
            HostStatus(code: HostCalls.reportHealth(health.rawValue, UnsafePointer(buffer.baseAddress), Int32(buffer.count)))
        }
    }

    /// The current value of parameter `index` (manifest order); NaN if there is none.
    public static func parameter(_ index: Int) -> Double {
        HostCalls.parameter(Int32(index))
    }

    /// Answers the console call in progress.
    @discardableResult
    public static func reply(_ bytes: [UInt8]) -> HostStatus {
        var copy = bytes
        return copy.withUnsafeMutableBufferPointer { buffer in
            HostStatus(code: HostCalls.reply(UnsafePointer(buffer.baseAddress), Int32(buffer.count)))
        }
    }

    /// Hands the snapshot to the host (used by the export glue).
    public static func putState(_ bytes: [UInt8]) -> HostStatus {
        var copy = bytes
        return copy.withUnsafeMutableBufferPointer { buffer in
            HostStatus(code: HostCalls.statePut(UnsafePointer(buffer.baseAddress), Int32(buffer.count)))
        }
    }
}
