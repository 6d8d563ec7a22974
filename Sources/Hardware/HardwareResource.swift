/// The piece of hardware an operation or an error is about, printed the way
/// people name it on a board: `i2c-1`, `i2c-1@0x68`, `gpiochip0`, `gpiochip0:17 "button"`.
public enum HardwareResource: Hashable, Sendable, CustomStringConvertible {
    case i2cBus(Int)
    case i2cDevice(bus: Int, address: UInt16)
    case gpioChip(String)
    case gpioLine(chip: String, offset: Int, name: String?)
    case board(String)

    public var description: String {
        switch self {
        case .i2cBus(let bus):
            return "i2c-\(bus)"
        case .i2cDevice(let bus, let address):
            return "i2c-\(bus)@\(hex(address))"
        case .gpioChip(let chip):
            return chip
        case .gpioLine(let chip, let offset, let name):
            if let name, !name.isEmpty { return "\(chip):\(offset) \"\(name)\"" }
            return "\(chip):\(offset)"
        case .board(let name):
            return "board \(name)"
        }
    }
}

/// `0x68`-style hex, two digits at least.
package func hex(_ value: some BinaryInteger, digits: Int = 2) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
}
