#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = PulseCounterHog

/// Version 1.4.0, hostile on purpose: it takes over from a swap and behaves through its
/// probation, then from its fifth tick its ticks never end, and a fresh start's init never
/// ends either. Only its own service may suffer: the others keep their ticks and the
/// watchdog its feed.
struct PulseCounterHog: DeviceModule {
    var spins = 0

    init() {
        spinForever()
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        Host.setTimer(everyMilliseconds: 1000)
    }

    mutating func tick() {
        spins += 1
        if spins >= 5 { spinForever() }
    }

    /// Counts for ever; the occasional reading keeps the optimiser from removing the loop.
    private func spinForever() {
        var count = spins
        while true {
            count &+= 1
            if count & 0xF_FFFF == 0 { _ = Host.publish("spins", Double(count)) }
        }
    }
}
