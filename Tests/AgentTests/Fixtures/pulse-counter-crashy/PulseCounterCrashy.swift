#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = PulseCounterCrashy

/// Version 1.3.0, broken on purpose: survives the swap and its probation, then traps on
/// the fourth tick, and traps at every fresh start: a crash loop for supervision.
struct PulseCounterCrashy: DeviceModule {
    var ticks = 0

    init() {
        fatalError("crashy cannot start")
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        Host.setTimer(everyMilliseconds: 1000)
    }

    mutating func tick() {
        ticks += 1
        if ticks >= 4 { fatalError("crashy gives up") }
    }
}
