import WasmKit

/// The shared WasmKit engine and the limits every instance runs under.
public final class ModuleEngine: Sendable {
    /// Limits applied to every module instance.
    public struct Limits: Hashable, Sendable {
        /// Instructions (about one fuel unit each) one event may use before it is stopped.
        public var fuelPerEvent: UInt64 = 20_000_000
        /// The largest linear memory a module may declare, in 64 KiB pages.
        public var memoryPages: UInt64 = 16
        /// The entries all of a module's tables may hold together, by their declared
        /// maxima: with the memory pages, what one instance can take (16 bytes an entry in
        /// WasmKit, so 160 KB beside the 1 MiB memory), and the bound on any one
        /// `table.grow` or `table.fill` between fuel checks.
        public var tableEntries: UInt64 = 10_000
        /// The largest module file accepted.
        public var moduleBytes = 4 << 20

        public init() {}
    }

    let engine: Engine
    public let limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
        // Eager compilation: the first event after a swap does not pay for translation.
        // Software bounds checks: mprotect reserves 4 GiB per instance and breaks on 32-bit ARM.
        engine = Engine(
            configuration: EngineConfiguration(compilationMode: .eager, memoryBoundsChecking: .software, fuelMetering: true))
    }
}
