import Manifests
import ModuleABI
import ModuleHost
import Platform
import WasmKit

/// One running copy of a module for one service: its own store, memory and fuel, host
/// functions bound to the service's resources. Not thread-safe: a service's executor
/// makes every call, one event at a time.
public final class ModuleInstance {
    public let artifact: ModuleArtifact
    private let binding: ResourceBinding
    /// The service's resources; a standby has them only once `bind(to:)` gave them.
    public var resources: ServiceResources {
        guard let resources = binding.resources else { preconditionFailure("a standby instance was used before bind(to:)") }
        return resources
    }
    /// Whether this instance has its service's resources (a standby before `bind(to:)` has not).
    public var isBound: Bool { binding.resources != nil }
    /// What the module last reported about itself (`healthy` until it reports, and always
    /// for a version-1 module).
    public var health: HealthReport { binding.health }
    private let engine: ModuleEngine
    private let store: Store
    private let instance: Instance
    private var exports: [String: Function] = [:]
    /// Set once the instance has crashed; later calls are refused.
    public private(set) var crash: ServiceCrash?

    public var manifest: ModuleManifest { artifact.manifest }

    /// Instantiates the module (compiling every function now, so the first event is fast)
    /// and checks its exports' signatures and ABI version.
    public convenience init(artifact: ModuleArtifact, resources: ServiceResources, engine: ModuleEngine) throws(ModuleRefusal) {
        try self.init(artifact: artifact, binding: ResourceBinding(resources), engine: engine)
    }

    /// A warm standby: instantiated and compiled now, bound to a service's resources later
    /// (`bind(to:)`), so a restart after a crash costs a bind and an init.
    public convenience init(standbyFor artifact: ModuleArtifact, engine: ModuleEngine) throws(ModuleRefusal) {
        try self.init(artifact: artifact, binding: ResourceBinding(nil), engine: engine)
    }

    /// Gives a standby its service's resources; it may then start.
    public func bind(to resources: ServiceResources) {
        precondition(!isBound, "bind(to:) on an instance that already has resources")
        binding.resources = resources
    }

    private init(artifact: ModuleArtifact, binding: ResourceBinding, engine: ModuleEngine) throws(ModuleRefusal) {
        self.artifact = artifact
        self.binding = binding
        self.engine = engine
        store = Store(engine: engine.engine)
        let name = "\(artifact.manifest.name) \(artifact.manifest.version)"
        var imports = Imports()
        for function in ModuleABI.Import.all {
            imports.define(module: ModuleABI.importModule, name: function.name, HostFunctions.make(function, store: store, binding: binding))
        }
        do {
            store.fuel = Fuel(remaining: engine.fuel(forNanoseconds: binding.resources?.eventBudgetNanoseconds ?? ServiceResources.defaultEventBudgetNanoseconds))
            instance = try artifact.module.instantiate(store: store, imports: imports)
        } catch {
            throw ModuleRefusal(.instantiation, "\(name) cannot be instantiated: \(ModuleInstance.reason(error))")
        }
        for expected in ModuleABI.Export.all {
            guard let function = instance.exports[function: expected.name] else {
                throw ModuleRefusal(.missingExport, "\(name) does not export \(expected.name)")
            }
            guard function.type.parameters == expected.parameters.map(\.wasmType),
                function.type.results == expected.results.map(\.wasmType)
            else {
                throw ModuleRefusal(.missingExport, "\(name): \(expected.name) has the wrong signature (expected \(expected))")
            }
            exports[expected.name] = function
        }
        let version: [Value]
        do {
            version = try invoke(ModuleABI.Export.abiVersion, [], event: "abi check")
        } catch {
            throw ModuleRefusal(.instantiation, "\(name): \(error.reason)")
        }
        guard case .i32(let abi) = version.first, Int32(bitPattern: abi) == artifact.manifest.abi else {
            throw ModuleRefusal(.incompatible, "\(name) reports an ABI other than the \(artifact.manifest.abi) its manifest names")
        }
    }

    // MARK: Lifecycle

    /// `mf_init`: fresh state.
    public func start() throws(ServiceCrash) {
        try expectOK(ModuleABI.Export.initialize, [], event: "init")
    }

    public func tick() throws(ServiceCrash) {
        try expectOK(ModuleABI.Export.tick, [], event: "tick")
    }

    public func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) throws(ServiceCrash) {
        try expectOK(
            ModuleABI.Export.edge,
            [.i32(UInt32(truncatingIfNeeded: line)), .i32(rising ? 1 : 0), .i64(UInt64(bitPattern: timestampNanoseconds))],
            event: "edge")
    }

    public func setParameter(index: Int, value: Double) throws(ServiceCrash) {
        resources.parameters[index] = value
        try expectOK(ModuleABI.Export.parameter, [.i32(UInt32(truncatingIfNeeded: index)), .f64(value.bitPattern)], event: "parameter")
    }

    /// A reading from another service on input `input`.
    public func reading(input: Int, value: Double) throws(ServiceCrash) {
        try expectOK(ModuleABI.Export.reading, [.i32(UInt32(truncatingIfNeeded: input)), .f64(value.bitPattern)], event: "reading")
    }

    /// A console call; returns the module's reply.
    public func call(_ request: [UInt8]) throws(ServiceCrash) -> [UInt8] {
        var reply: [UInt8] = []
        let previous = resources.onReply
        resources.onReply = { reply = $0 }
        defer { resources.onReply = previous }
        let pointer = try copyIn(request, event: "call")
        try expectOK(ModuleABI.Export.call, [.i32(pointer), .i32(UInt32(request.count))], event: "call")
        return reply
    }

    /// `mf_snapshot`: the state bytes for a successor.
    public func snapshot() throws(ServiceCrash) -> [UInt8] {
        resources.lastState = nil
        resources.refusedStateBytes = nil
        defer { resources.refusedStateBytes = nil }
        let result = try invoke(ModuleABI.Export.snapshot, [], event: "snapshot")
        if let size = resources.refusedStateBytes {
            throw fail(
                "snapshot", .failed,
                "its state is \(size) bytes, more than the \(ServiceResources.stateLimit) bytes (64 KiB) a hot swap carries")
        }
        try expectOK(result, event: "snapshot")
        return resources.lastState ?? []
    }

    /// `mf_code_change`: start from `state` written by `version`.
    public func codeChange(from version: SemanticVersion, state: [UInt8]) throws(ServiceCrash) {
        let pointer = try copyIn(state, event: "code_change")
        try expectOK(
            ModuleABI.Export.codeChange,
            [.i32(UInt32(bitPattern: version.packed)), .i32(pointer), .i32(UInt32(state.count))], event: "code_change")
    }

    public func terminate() throws(ServiceCrash) {
        try expectOK(ModuleABI.Export.terminate, [], event: "terminate")
    }

    // MARK: Calls

    /// Copies bytes into guest memory from `mf_alloc`; 0 for an empty input.
    private func copyIn(_ bytes: [UInt8], event: String) throws(ServiceCrash) -> UInt32 {
        guard !bytes.isEmpty else { return 0 }
        let result = try invoke(ModuleABI.Export.alloc, [.i32(UInt32(bytes.count))], event: event)
        guard case .i32(let pointer) = result.first, pointer != 0,
            let memory = instance.exports[memory: "memory"],
            UInt64(pointer) + UInt64(bytes.count) <= UInt64(memory.byteCount)
        else {
            throw fail(event, .failed, "mf_alloc(\(bytes.count)) gave no usable memory")
        }
        memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: bytes.count) { $0.copyBytes(from: bytes) }
        return pointer
    }

    private func expectOK(_ function: ModuleABI.Function, _ arguments: [Value], event: String) throws(ServiceCrash) {
        try expectOK(try invoke(function, arguments, event: event), event: event)
    }

    private func expectOK(_ result: [Value], event: String) throws(ServiceCrash) {
        guard case .i32(let raw) = result.first else { throw fail(event, .failed, "returned no status") }
        let status = Int32(bitPattern: raw)
        guard status == 0 else {
            let known = ModuleABI.Status(rawValue: status)
            throw fail(event, .failed, "returned status \(known.map { "\($0)" } ?? String(status))", status: known)
        }
    }

    private func invoke(_ function: ModuleABI.Function, _ arguments: [Value], event: String) throws(ServiceCrash) -> [Value] {
        if let crash { throw crash }
        guard let export = exports[function.name] ?? instance.exports[function: function.name] else {
            throw fail(event, .failed, "no export \(function.name)")
        }
        // A fresh budget per event, sized in time: a loop, or an event that takes longer
        // than its service may hold the agent, is stopped.
        let budget = binding.resources?.eventBudgetNanoseconds ?? ServiceResources.defaultEventBudgetNanoseconds
        let fuel = engine.fuel(forNanoseconds: budget)
        store.fuel = Fuel(remaining: fuel)
        binding.deadline = monotonicNanoseconds() + budget
        binding.lastWords = nil
        defer { binding.deadline = .max }
        do {
            return try export.invoke(arguments)
        } catch let over as ResourceBinding.OverBudget {
            throw fail(event, .outOfFuel, "over its \(over.budgetNanoseconds / 1_000_000) ms budget (in host calls)")
        } catch {
            let reason = ModuleInstance.reason(error)
            throw fail(event, ranOutOfFuel(given: fuel) ? .outOfFuel : .trap, binding.lastWords.map { "\(reason) (it said: \($0))" } ?? reason)
        }
    }

    /// Whether a trap was the fuel running out, read from what is left of it (WasmKit's
    /// trap reasons are not public, and its text is not a contract): a charge that fails
    /// leaves the fuel untouched, and no single charge costs more than the module's code
    /// (one unit per operator) or one copy of its whole memory (one unit per 64 bytes). A
    /// real trap that close to the end of its budget is reported as out of fuel too. With a
    /// small budget (1–2 ms), that bound can exceed the whole budget: the event must also
    /// have used at least half of what it was `given`, so an early trap stays a trap.
    private func ranOutOfFuel(given: UInt64) -> Bool {
        guard let remaining = store.fuel?.remaining else { return false }
        let largestCharge = UInt64(artifact.byteCount) + UInt64(engine.limits.memoryPages) * 65_536 / 64
        return remaining < largestCharge && remaining <= given / 2
    }

    private func fail(_ event: String, _ kind: ServiceCrash.Kind, _ reason: String, status: ModuleABI.Status? = nil) -> ServiceCrash {
        let crash = ServiceCrash(
            module: manifest.name, version: manifest.version.description, event: event, kind: kind, reason: reason, status: status)
        self.crash = crash
        return crash
    }

    /// The first line of a trap's description without its "Trap: " prefix.
    static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        return line.hasPrefix("Trap: ") ? String(line.dropFirst(6)) : line
    }
}

extension ModuleABI.ValueType {
    var wasmType: WasmKit.ValueType {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f64: return .f64
        }
    }
}
