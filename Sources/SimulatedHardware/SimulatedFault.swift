import Platform
/// A fault the simulated board can be told to show, switchable at run time.
public enum SimulatedFault: Hashable, Sendable, CustomStringConvertible {
    /// The device at `address` stops acknowledging (a loose wire, a hung device).
    case i2cNack(bus: Int, address: UInt16)
    /// Every transfer on the bus times out (SDA held low by a confused device).
    case i2cBusTimeout(bus: Int)
    /// The device is unplugged: it no longer answers a scan; its state is kept for when
    /// it is plugged back in (the fault cleared).
    case i2cDeviceRemoved(bus: Int, address: UInt16)
    /// The line reads `level` whatever drives it, and shows no edges.
    case gpioStuckLine(chip: String, offset: Int, level: Bool)
    /// The chip is gone (an unplugged USB GPIO expander): every call fails.
    case gpioChipRemoved(chip: String)

    public var description: String {
        switch self {
        case .i2cNack(let bus, let address): return "nack \(HardwareResourceName.i2c(bus, address))"
        case .i2cBusTimeout(let bus): return "timeout i2c-\(bus)"
        case .i2cDeviceRemoved(let bus, let address): return "remove \(HardwareResourceName.i2c(bus, address))"
        case .gpioStuckLine(let chip, let offset, let level): return "stuck \(chip):\(offset)=\(level ? 1 : 0)"
        case .gpioChipRemoved(let chip): return "remove \(chip)"
        }
    }
}

enum HardwareResourceName {
    static func i2c(_ bus: Int, _ address: UInt16) -> String {
        let text = String(address, radix: 16)
        return "i2c-\(bus)@0x" + (text.count < 2 ? "0" : "") + text
    }
}

/// What every part of one simulated board shares: the lock, the clock, the faults.
/// Device models and line state are only touched with `lock` held; that is what makes
/// the board's `@unchecked Sendable` parts safe.
final class SimulatorCore: @unchecked Sendable {
    let lock = ConditionLock()
    let clock: any SimulationClock
    /// Guarded by `lock`.
    var faults: Set<SimulatedFault> = []

    init(clock: any SimulationClock) {
        self.clock = clock
    }
}
