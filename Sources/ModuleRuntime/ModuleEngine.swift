import Platform
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

    /// Fuel (about one wasm instruction each) this process's interpreter burns in a
    /// millisecond, measured once on a counting loop (the best of three runs): what turns
    /// an event's budget in time into fuel on this machine and build.
    public static let fuelPerMillisecond: UInt64 = measureFuelPerMillisecond() ?? 20_000

    /// The fuel for an event of `nanoseconds`: never above `fuelPerEvent`.
    public func fuel(forNanoseconds nanoseconds: UInt64) -> UInt64 {
        let (product, overflow) = (nanoseconds / 1000).multipliedReportingOverflow(by: Self.fuelPerMillisecond)
        return max(1000, min(limits.fuelPerEvent, overflow ? .max : product / 1000))
    }

    /// `(func (export "spin") (param i32) (loop local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0))`
    static let calibrationModule: [UInt8] = [
        0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7F, 0x00,
        0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6E, 0x00, 0x00,
        0x0A, 0x10, 0x01, 0x0E, 0x00, 0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x0D, 0x00, 0x0B, 0x0B,
    ]

    /// The measurement behind `fuelPerMillisecond` (nil when the loop cannot run; the
    /// agent then assumes 20,000, a slow board's interpreter).
    public static func measureFuelPerMillisecond() -> UInt64? {
        let engine = Engine(configuration: EngineConfiguration(compilationMode: .eager, memoryBoundsChecking: .software, fuelMetering: true))
        let store = Store(engine: engine)
        guard let module = try? parseWasm(bytes: calibrationModule),
            let spin = try? module.instantiate(store: store, imports: Imports()).exports[function: "spin"]
        else { return nil }
        let fuel: UInt64 = 2_000_000
        var best = UInt64.max
        for _ in 0..<3 {
            store.fuel = Fuel(remaining: fuel)
            let start = monotonicNanoseconds()
            _ = try? spin.invoke([.i32(UInt32.max)])
            best = min(best, monotonicNanoseconds() - start)
        }
        return max(1000, fuel * 1_000_000 / max(best, 1))
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
        // Eager compilation: the first event after a swap does not pay for translation.
        // Software bounds checks: mprotect reserves 4 GiB per instance and breaks on 32-bit ARM.
        engine = Engine(
            configuration: EngineConfiguration(compilationMode: .eager, memoryBoundsChecking: .software, fuelMetering: true))
    }
}
