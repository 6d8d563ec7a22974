#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = Hog

/// The hostile neighbour of the isolation benchmark: every tick, every millisecond, never
/// ends on its own. What it costs a well-behaved service is bounded by its event budget.
struct Hog: DeviceModule {
    var spins = 0

    init() {
        Host.setTimer(everyMilliseconds: 1)
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        Host.setTimer(everyMilliseconds: 1)
    }

    mutating func tick() {
        var count = spins
        while true {
            count &+= 1
            // A reading now and then keeps the optimiser from removing the loop.
            if count & 0xF_FFFF == 0 { _ = Host.publish("spins", Double(count)) }
        }
    }
}
