#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = PulseCounterV3

/// Version 1.2.0, broken on purpose: it traps while migrating state.
struct PulseCounterV3: DeviceModule {
    init() {}

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        fatalError("v3 cannot read any state")
    }
}
