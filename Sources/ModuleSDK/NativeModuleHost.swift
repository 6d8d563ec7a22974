#if !arch(wasm32)
import Synchronization

/// The host side of the SDK's calls when a module runs natively (unit tests). The
/// agent's wasm host implements the same operations; results use the ABI's status codes.
public protocol NativeModuleHost: AnyObject {
    func i2cRead(device: Int, register: UInt8, count: Int) -> ([UInt8], Int32)
    func i2cWrite(device: Int, register: UInt8, bytes: [UInt8]) -> Int32
    func gpioRead(line: Int) -> Int32
    func gpioWrite(line: Int, value: Bool) -> Int32
    func timerEvery(milliseconds: Int) -> Int32
    func monotonicNanoseconds() -> Int64
    func wallNanoseconds() -> Int64
    func wallSynchronized() -> Bool
    func setWall(nanoseconds: Int64) -> Int32
    func log(level: Int, bytes: [UInt8])
    func publish(name: [UInt8], value: Double) -> Int32
    func parameter(index: Int) -> Double
    func statePut(bytes: [UInt8]) -> Int32
    func reply(bytes: [UInt8]) -> Int32
    func reportHealth(health: Int32, reason: [UInt8]) -> Int32
}

/// Where native host calls go: the host of the module call in progress. Module calls
/// from parallel tests are serialized here, so each call sees its own host.
public enum NativeHostBridge {
    private static let lock = Mutex(())
    /// Written and read only with `lock` held, inside `with(_:_:)`.
    nonisolated(unsafe) static var current: (any NativeModuleHost)?

    /// Runs `body` (a call into a module) with `host` answering its host calls.
    public static func with<Result>(_ host: any NativeModuleHost, _ body: () -> Result) -> Result {
        lock.withLock { _ in
            current = host
            defer { current = nil }
            return body()
        }
    }
}
#endif
