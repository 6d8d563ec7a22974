#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = PulseCounterFragile

/// Version 1.4.0, broken on purpose: takes any state, then traps on its first edge,
/// inside its probation, so the agent must put the old version back by itself.
struct PulseCounterFragile: DeviceModule {
    init() {}

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {}

    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        Host.fail("fragile: cannot count this edge")
    }
}
