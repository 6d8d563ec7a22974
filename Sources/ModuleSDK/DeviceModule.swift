/// A device service's code: what the agent calls, one event at a time.
///
/// Write the module as a struct (Embedded Swift: no existentials, no Foundation, no
/// Codable) and name it once for the wasm build with `typealias ServiceModule = MyModule`.
/// The same source compiles natively, where `ModuleHarness` drives it in tests.
public protocol DeviceModule {
    /// A fresh start (`mf_init`): state from nothing. Parameters are readable.
    init()

    /// A hot swap (`mf_code_change`): start from the state another version left in
    /// `state`. Return nil to refuse; the swap is then undone and the old version stays.
    init?(upgradingFrom version: ModuleVersion, state: inout StateReader)

    /// The timer set with `Host.setTimer(everyMilliseconds:)` fired.
    mutating func tick()

    /// An edge on granted GPIO line `line` (the index in the manifest's `gpio` list).
    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64)

    /// Parameter `index` (in the manifest's order) was set to `value`.
    mutating func parameterChanged(index: Int, value: Double)

    /// A reading from another service arrived on input `input` (the manifest's `inputs`).
    mutating func reading(input: Int, value: Double)

    /// A console call (`call SERVICE …`); answer with `Host.reply`.
    mutating func call(_ request: [UInt8])

    /// Write everything a later version needs to carry on (`mf_snapshot`).
    func snapshot(into state: inout StateWriter)

    /// The service is stopping: release what needs releasing.
    mutating func terminate()
}

extension DeviceModule {
    public init?(upgradingFrom version: ModuleVersion, state: inout StateReader) { nil }
    public mutating func tick() {}
    public mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {}
    public mutating func parameterChanged(index: Int, value: Double) {}
    public mutating func reading(input: Int, value: Double) {}
    public mutating func call(_ request: [UInt8]) {}
    public func snapshot(into state: inout StateWriter) {}
    public mutating func terminate() {}
}
