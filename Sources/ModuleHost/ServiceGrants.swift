import Hardware

/// The concrete hardware a service may touch, in the order of its module's manifest:
/// `i2c[0]` serves the manifest's first I2C role, and so on.
public struct ServiceGrants: Hashable, Sendable {
    public struct I2C: Hashable, Sendable, CustomStringConvertible {
        public let bus: Int
        public let address: I2CAddress
        public var description: String { "i2c-\(bus)@\(address)" }
    }

    public struct GPIO: Hashable, Sendable, CustomStringConvertible {
        public let chip: String
        public let line: GPIOLineSelector
        public var description: String {
            switch line {
            case .offset(let offset): return "\(chip):\(offset)"
            case .name(let name): return "\(chip):\(name)"
            }
        }
    }

    public var i2c: [I2C]
    public var gpio: [GPIO]
    public var clockSet: Bool

    public init(i2c: [I2C] = [], gpio: [GPIO] = [], clockSet: Bool = false) {
        self.i2c = i2c
        self.gpio = gpio
        self.clockSet = clockSet
    }

    /// Parses `i2c-1@0x68`.
    public static func parseI2C(_ text: String) throws(HardwareError) -> I2C {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("i2c-"), let bus = Int(parts[0].dropFirst(4)), (0...1023).contains(bus) else {
            throw HardwareError(.invalidArgument, .board("grant"), "'\(text)' is not an I2C grant (expected i2c-BUS@ADDRESS, e.g. i2c-1@0x68)")
        }
        return I2C(bus: bus, address: try I2CAddress.parse(String(parts[1]), bus: bus))
    }

    /// Parses `gpiochip0:17` or `gpiochip0:button`.
    public static func parseGPIO(_ text: String) throws(HardwareError) -> GPIO {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HardwareError(.invalidArgument, .board("grant"), "'\(text)' is not a GPIO grant (expected CHIP:LINE, e.g. gpiochip0:17)")
        }
        if let offset = Int(parts[1]), offset < 0 {
            throw HardwareError(.invalidArgument, .board("grant"), "'\(text)': a line offset cannot be negative")
        }
        return GPIO(chip: String(parts[0]), line: GPIOLineSelector(String(parts[1])))
    }
}
