#if arch(wasm32)
/// The ABI's imports (`ModuleABI.Import`), module "midflight". They are free functions:
/// `@_extern(c)` keeps the C calling convention so the wasm signatures match the host's,
/// and a static method would add a hidden metatype parameter.
@_extern(wasm, module: "midflight", name: "i2c_read") @_extern(c)
func midflight_i2c_read(_ device: Int32, _ register: Int32, _ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "i2c_write") @_extern(c)
func midflight_i2c_write(_ device: Int32, _ register: Int32, _ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "gpio_read") @_extern(c)
func midflight_gpio_read(_ line: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "gpio_write") @_extern(c)
func midflight_gpio_write(_ line: Int32, _ value: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "timer_every") @_extern(c)
func midflight_timer_every(_ milliseconds: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "clock_monotonic_ns") @_extern(c)
func midflight_clock_monotonic_ns() -> Int64
@_extern(wasm, module: "midflight", name: "clock_wall_ns") @_extern(c)
func midflight_clock_wall_ns() -> Int64
@_extern(wasm, module: "midflight", name: "clock_wall_synchronized") @_extern(c)
func midflight_clock_wall_synchronized() -> Int32
@_extern(wasm, module: "midflight", name: "clock_set_wall_ns") @_extern(c)
func midflight_clock_set_wall_ns(_ nanoseconds: Int64) -> Int32
@_extern(wasm, module: "midflight", name: "log") @_extern(c)
func midflight_log(_ level: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int32)
@_extern(wasm, module: "midflight", name: "publish") @_extern(c)
func midflight_publish(_ name: UnsafePointer<UInt8>?, _ count: Int32, _ value: Double) -> Int32
@_extern(wasm, module: "midflight", name: "param_get") @_extern(c)
func midflight_param_get(_ index: Int32) -> Double
@_extern(wasm, module: "midflight", name: "state_put") @_extern(c)
func midflight_state_put(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "reply") @_extern(c)
func midflight_reply(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32
@_extern(wasm, module: "midflight", name: "health_report") @_extern(c)
func midflight_health_report(_ health: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32

enum HostCalls {
    static func i2cRead(_ device: Int32, _ register: Int32, _ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32 { midflight_i2c_read(device, register, pointer, count) }
    static func i2cWrite(_ device: Int32, _ register: Int32, _ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32 { midflight_i2c_write(device, register, pointer, count) }
    static func gpioRead(_ line: Int32) -> Int32 { midflight_gpio_read(line) }
    static func gpioWrite(_ line: Int32, _ value: Int32) -> Int32 { midflight_gpio_write(line, value) }
    static func timerEvery(_ milliseconds: Int32) -> Int32 { midflight_timer_every(milliseconds) }
    static func monotonicNanoseconds() -> Int64 { midflight_clock_monotonic_ns() }
    static func wallNanoseconds() -> Int64 { midflight_clock_wall_ns() }
    static func wallSynchronized() -> Int32 { midflight_clock_wall_synchronized() }
    static func setWall(_ nanoseconds: Int64) -> Int32 { midflight_clock_set_wall_ns(nanoseconds) }
    static func log(_ level: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int32) { midflight_log(level, pointer, count) }
    static func publish(_ name: UnsafePointer<UInt8>?, _ count: Int32, _ value: Double) -> Int32 { midflight_publish(name, count, value) }
    static func parameter(_ index: Int32) -> Double { midflight_param_get(index) }
    static func statePut(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32 { midflight_state_put(pointer, count) }
    static func reply(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32 { midflight_reply(pointer, count) }
    static func reportHealth(_ health: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32 { midflight_health_report(health, pointer, count) }
}
#else
/// Natively the same calls go to the host installed by the test harness.
enum HostCalls {
    static var host: any NativeModuleHost {
        guard let host = NativeHostBridge.current else {
            fatalError("Host calls outside a ModuleHarness: install a NativeModuleHost first")
        }
        return host
    }

    static func i2cRead(_ device: Int32, _ register: Int32, _ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32 {
        let (bytes, status) = host.i2cRead(device: Int(device), register: UInt8(truncatingIfNeeded: register), count: Int(count))
        if status == 0, let pointer {
            for (index, byte) in bytes.prefix(Int(count)).enumerated() { pointer[index] = byte }
        }
        return status
    }

    static func i2cWrite(_ device: Int32, _ register: Int32, _ pointer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32 {
        guard let pointer else { return HostStatus.badPointer.rawValue }
        let bytes = Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
        return host.i2cWrite(device: Int(device), register: UInt8(truncatingIfNeeded: register), bytes: bytes)
    }

    static func gpioRead(_ line: Int32) -> Int32 { host.gpioRead(line: Int(line)) }
    static func gpioWrite(_ line: Int32, _ value: Int32) -> Int32 { host.gpioWrite(line: Int(line), value: value != 0) }
    static func timerEvery(_ milliseconds: Int32) -> Int32 { host.timerEvery(milliseconds: Int(milliseconds)) }
    static func monotonicNanoseconds() -> Int64 { host.monotonicNanoseconds() }
    static func wallNanoseconds() -> Int64 { host.wallNanoseconds() }
    static func wallSynchronized() -> Int32 { host.wallSynchronized() ? 1 : 0 }
    static func setWall(_ nanoseconds: Int64) -> Int32 { host.setWall(nanoseconds: nanoseconds) }

    static func log(_ level: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int32) {
        guard let pointer else { return }
        host.log(level: Int(level), bytes: Array(UnsafeBufferPointer(start: pointer, count: Int(count))))
    }

    static func publish(_ name: UnsafePointer<UInt8>?, _ count: Int32, _ value: Double) -> Int32 {
        guard let name else { return HostStatus.badPointer.rawValue }
        return host.publish(name: Array(UnsafeBufferPointer(start: name, count: Int(count))), value: value)
    }

    static func parameter(_ index: Int32) -> Double { host.parameter(index: Int(index)) }

    static func statePut(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32 {
        host.statePut(bytes: pointer.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? [])
    }

    static func reply(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32 {
        host.reply(bytes: pointer.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? [])
    }

    static func reportHealth(_ health: Int32, _ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> Int32 {
        host.reportHealth(health: health, reason: pointer.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? [])
    }
}
#endif
