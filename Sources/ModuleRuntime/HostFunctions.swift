import ModuleABI
import ModuleHost
import Platform
import WasmKit

/// The ABI's imports as WasmKit host functions. Every guest pointer and length is
/// checked against the calling instance's memory before it is touched (WasmKit's own
/// accessors would stop the whole process on a bad offset), and every device or line
/// index against the service's grants (in `ServiceResources`).
enum HostFunctions {
    static func make(_ function: ModuleABI.Function, store: Store, binding: ResourceBinding) -> Function {
        Function(
            store: store, parameters: function.parameters.map(\.wasmType), results: function.results.map(\.wasmType)
        ) { caller, arguments in
            guard let resources = binding.resources else { throw UnboundInstance(function: function.name) }
            if binding.deadline != .max, monotonicNanoseconds() > binding.deadline {
                throw ResourceBinding.OverBudget(budgetNanoseconds: resources.eventBudgetNanoseconds)
            }
            if function == ModuleABI.Import.log, i32(arguments[0]) >= ModuleABI.errorLogLevel,
                let bytes = read(caller, i32(arguments[1]), i32(arguments[2]), limit: 4096)
            {
                binding.lastWords = String(decoding: bytes.prefix(200), as: UTF8.self)
            }
            if function == ModuleABI.Import.reportHealth {
                guard let reason = read(caller, i32(arguments[1]), i32(arguments[2]), limit: 4096) else { return badPointer }
                guard let report = HealthReport(code: i32(arguments[0]), reason: reason) else {
                    return status(ModuleABI.Status.invalidArgument.rawValue)
                }
                binding.health = report
                return status(ModuleABI.Status.ok.rawValue)
            }
            return try call(function.name, caller: caller, arguments, resources)
        }
    }

    private static func i32(_ value: Value) -> Int32 {
        if case .i32(let raw) = value { return Int32(bitPattern: raw) }
        return 0
    }

    private static func status(_ code: Int32) -> [Value] { [.i32(UInt32(bitPattern: code))] }

    private static let badPointer = status(ModuleABI.Status.badPointer.rawValue)

    /// Reads `count` guest bytes at `pointer`, or nil when they are not all in memory.
    private static func read(_ caller: borrowing Caller, _ pointer: Int32, _ count: Int32, limit: Int) -> [UInt8]? {
        guard pointer >= 0, count >= 0, Int(count) <= limit, let memory = caller.instance?.exports[memory: "memory"],
            Int(pointer) + Int(count) <= memory.byteCount
        else { return nil }
        if count == 0 { return [] }
        return memory.withUnsafeBufferPointer(offset: UInt(pointer), count: Int(count)) { Array($0) }
    }

    private static func write(_ caller: borrowing Caller, _ pointer: Int32, _ bytes: [UInt8]) -> Bool {
        guard pointer >= 0, let memory = caller.instance?.exports[memory: "memory"],
            Int(pointer) + bytes.count <= memory.byteCount
        else { return false }
        if !bytes.isEmpty {
            memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: bytes.count) { $0.copyBytes(from: bytes) }
        }
        return true
    }

    private static func call(
        _ name: String, caller: borrowing Caller, _ arguments: [Value], _ resources: ServiceResources
    ) throws -> [Value] {
        switch name {
        case ModuleABI.Import.i2cRead.name:
            let (pointer, count) = (i32(arguments[2]), i32(arguments[3]))
            // Check the destination first: a bad pointer must not cost a bus transfer.
            guard pointer >= 0, count >= 0, let memory = caller.instance?.exports[memory: "memory"],
                Int(pointer) + Int(count) <= memory.byteCount
            else { return badPointer }
            let (bytes, code) = resources.i2cRead(
                device: Int(i32(arguments[0])), register: UInt8(truncatingIfNeeded: i32(arguments[1])), count: Int(count))
            if code == 0, !write(caller, pointer, bytes) { return badPointer }
            return status(code)
        case ModuleABI.Import.i2cWrite.name:
            guard let bytes = read(caller, i32(arguments[2]), i32(arguments[3]), limit: 32) else { return badPointer }
            return status(resources.i2cWrite(
                device: Int(i32(arguments[0])), register: UInt8(truncatingIfNeeded: i32(arguments[1])), bytes: bytes))
        case ModuleABI.Import.gpioRead.name:
            return status(resources.gpioRead(line: Int(i32(arguments[0]))))
        case ModuleABI.Import.gpioWrite.name:
            return status(resources.gpioWrite(line: Int(i32(arguments[0])), value: i32(arguments[1]) != 0))
        case ModuleABI.Import.timerEvery.name:
            return status(resources.timerEvery(milliseconds: Int(i32(arguments[0]))))
        case ModuleABI.Import.monotonicNanoseconds.name:
            return [.i64(UInt64(bitPattern: resources.monotonicNanoseconds()))]
        case ModuleABI.Import.wallNanoseconds.name:
            return [.i64(UInt64(bitPattern: resources.wallNanoseconds()))]
        case ModuleABI.Import.wallSynchronized.name:
            return status(resources.wallSynchronized() ? 1 : 0)
        case ModuleABI.Import.setWall.name:
            guard case .i64(let raw) = arguments[0] else { return status(ModuleABI.Status.invalidArgument.rawValue) }
            return status(resources.setWall(nanoseconds: Int64(bitPattern: raw)))
        case ModuleABI.Import.log.name:
            // A bad log pointer is dropped, not fatal: logging must never crash a service.
            if let bytes = read(caller, i32(arguments[1]), i32(arguments[2]), limit: 4096) {
                resources.log(level: Int(i32(arguments[0])), bytes: bytes)
            }
            return []
        case ModuleABI.Import.publish.name:
            guard let bytes = read(caller, i32(arguments[0]), i32(arguments[1]), limit: 64),
                case .f64(let bits) = arguments[2]
            else { return badPointer }
            return status(resources.publish(name: bytes, value: Double(bitPattern: bits)))
        case ModuleABI.Import.parameter.name:
            return [.f64(resources.parameter(index: Int(i32(arguments[0]))).bitPattern)]
        case ModuleABI.Import.statePut.name:
            // Too big is its own answer, so the crash can say how big the state may be.
            let count = Int(i32(arguments[1]))
            guard count <= ServiceResources.stateLimit else {
                resources.refusedStateBytes = count
                return status(ModuleABI.Status.invalidArgument.rawValue)
            }
            guard let bytes = read(caller, i32(arguments[0]), i32(arguments[1]), limit: ServiceResources.stateLimit) else {
                return badPointer
            }
            return status(resources.statePut(bytes: bytes))
        case ModuleABI.Import.reply.name:
            guard let bytes = read(caller, i32(arguments[0]), i32(arguments[1]), limit: 4096) else { return badPointer }
            return status(resources.reply(bytes: bytes))
        default:
            return status(ModuleABI.Status.unsupported.rawValue)
        }
    }
}
