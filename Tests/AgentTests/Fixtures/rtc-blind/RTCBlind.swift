#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = RTCBlind

/// Version 1.2.0, broken on purpose: it takes the state over and runs without a trap, but
/// reads a register the chip does not have, so it reports itself failing at every tick.
struct RTCBlind: DeviceModule {
    init() {
        Host.setTimer(everyMilliseconds: 500)
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        Host.setTimer(everyMilliseconds: 500)
    }

    mutating func tick() {
        if Host.readRegisters(device: 0, from: 0x7F, count: 1).value == nil {
            Host.reportHealth(.failing, "RTC chip not answering at register 0x7f")
        } else {
            Host.reportHealth(.failing, "RTC register 0x7f holds nothing useful")
        }
    }
}
