/// A register-level model of one I2C device, seen as the bus sees it: write transactions
/// (the first byte usually sets the register pointer) and read transactions.
///
/// Models are not thread-safe; the simulated board calls them with its lock held.
public protocol I2CDeviceModel: AnyObject {
    /// `ds3231`, `ds1307`, `pcf8523`, `register-file`.
    var modelName: String { get }
    /// A write transaction of `bytes` at simulation time `clock`.
    func receive(_ bytes: [UInt8], at clock: UInt64)
    /// A read transaction of `count` bytes at simulation time `clock`.
    func transmit(count: Int, at clock: UInt64) -> [UInt8]
}

/// An RTC model's controls beyond its registers: what a person does to the physical chip.
public protocol RealTimeClockModel: I2CDeviceModel {
    /// The time the chip's counters hold at `clock`.
    func time(at clock: UInt64) -> RTCFields
    /// Whether the chip's "time is not trustworthy" flag is set (OSF, OS or CH).
    func hasLostTime(at clock: UInt64) -> Bool
    /// Loses main power for `nanoseconds`. With a backup battery the oscillator may keep
    /// running (per the chip's battery switch-over rules); without, the chip resets.
    func losePower(batteryBacked: Bool, forNanoseconds nanoseconds: UInt64, at clock: UInt64)
    /// The crystal's own error, in ppm; positive runs fast.
    func setCrystalDrift(ppm: Double, at clock: UInt64)
}

/// The register pointer that every one of these chips auto-increments after each byte.
struct RegisterPointer: Hashable, Sendable {
    var value: UInt8 = 0
    /// The last register; the pointer wraps from it to 0x00.
    let last: UInt8

    mutating func advance() {
        value = value >= last ? 0 : value + 1
    }
}
