/// The hardware of one board: its I2C buses and GPIO chips, real or simulated.
public protocol HardwareBackend: AnyObject, Sendable {
    /// `linux` or `simulated`, for status output.
    var kind: String { get }

    /// The bus numbers this board has, in order.
    func i2cBusNumbers() -> [Int]

    /// Opens bus `number`; `.noDevice` when the board has no such bus.
    func i2cBus(_ number: Int) throws(HardwareError) -> any I2CBus

    /// The chips this board has, in order (`gpiochip0`, …).
    func gpioChipNames() -> [String]

    /// Opens a chip by name (`gpiochip0`), by label, by number (`0`) or by path
    /// (`/dev/gpiochip0`), as libgpiod's `gpiod_chip_open_lookup` does.
    func gpioChip(_ lookup: String) throws(HardwareError) -> any GPIOChip
}
