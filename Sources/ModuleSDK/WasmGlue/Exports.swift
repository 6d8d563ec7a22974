// The ABI's exports (ModuleABI.Export), compiled only into wasm builds together with
// the SDK and the module's sources, which name their module with
// `typealias ServiceModule = …`.

nonisolated(unsafe) var service: ServiceModule? = nil

@_expose(wasm, "mf_abi_version") @_cdecl("mf_abi_version")
public func mf_abi_version() -> Int32 { 2 }

@_expose(wasm, "mf_alloc") @_cdecl("mf_alloc")
public func mf_alloc(_ size: Int32) -> Int32 {
    guard size > 0, let pointer = UnsafeMutableRawPointer.allocate(byteCount: Int(size), alignment: 8) as UnsafeMutableRawPointer? else {
        return 0
    }
    return Int32(Int(bitPattern: pointer))
}

@_expose(wasm, "mf_init") @_cdecl("mf_init")
public func mf_init() -> Int32 {
    service = ServiceModule()
    return 0
}

@_expose(wasm, "mf_tick") @_cdecl("mf_tick")
public func mf_tick() -> Int32 {
    guard service != nil else { return HostStatus.failed.rawValue }
    service!.tick()
    return 0
}

@_expose(wasm, "mf_edge") @_cdecl("mf_edge")
public func mf_edge(_ line: Int32, _ rising: Int32, _ timestamp: Int64) -> Int32 {
    guard service != nil else { return HostStatus.failed.rawValue }
    service!.edge(line: Int(line), rising: rising != 0, timestampNanoseconds: timestamp)
    return 0
}

@_expose(wasm, "mf_param") @_cdecl("mf_param")
public func mf_param(_ index: Int32, _ value: Double) -> Int32 {
    guard service != nil else { return HostStatus.failed.rawValue }
    service!.parameterChanged(index: Int(index), value: value)
    return 0
}

@_expose(wasm, "mf_reading") @_cdecl("mf_reading")
public func mf_reading(_ input: Int32, _ value: Double) -> Int32 {
    guard service != nil else { return HostStatus.failed.rawValue }
    service!.reading(input: Int(input), value: value)
    return 0
}

@_expose(wasm, "mf_call") @_cdecl("mf_call")
public func mf_call(_ pointer: Int32, _ count: Int32) -> Int32 {
    guard service != nil else { return HostStatus.failed.rawValue }
    service!.call(takeBytes(pointer, count))
    return 0
}

@_expose(wasm, "mf_snapshot") @_cdecl("mf_snapshot")
public func mf_snapshot() -> Int32 {
    guard let current = service else { return HostStatus.failed.rawValue }
    var writer = StateWriter()
    current.snapshot(into: &writer)
    return Host.putState(writer.bytes).rawValue
}

@_expose(wasm, "mf_code_change") @_cdecl("mf_code_change")
public func mf_code_change(_ fromVersion: Int32, _ pointer: Int32, _ count: Int32) -> Int32 {
    var reader = StateReader(bytes: takeBytes(pointer, count))
    guard let migrated = ServiceModule(upgradingFrom: ModuleVersion(packed: fromVersion), state: &reader) else {
        return HostStatus.incompatibleState.rawValue
    }
    service = migrated
    return 0
}

@_expose(wasm, "mf_terminate") @_cdecl("mf_terminate")
public func mf_terminate() -> Int32 {
    service?.terminate()
    service = nil
    return 0
}

/// Copies (and frees) bytes the host wrote into memory it got from `mf_alloc`.
func takeBytes(_ pointer: Int32, _ count: Int32) -> [UInt8] {
    guard pointer != 0, count > 0, let raw = UnsafeMutableRawPointer(bitPattern: Int(pointer)) else { return [] }
    let bytes = Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: Int(count)))
    raw.deallocate()
    return bytes
}
