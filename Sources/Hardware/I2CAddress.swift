/// A 7-bit I2C target address in the range a device may use (0x08–0x77).
///
/// 0x00–0x07 and 0x78–0x7F are reserved by the I2C specification (general call, CBUS,
/// high-speed master codes, 10-bit addressing) and are refused here, as `i2cdetect` does.
public struct I2CAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let validRange: ClosedRange<UInt16> = 0x08...0x77

    public let rawValue: UInt16

    /// Checks the range; `bus` only names the bus in the error.
    public init(_ value: Int, bus: Int) throws(HardwareError) {
        guard value >= 0, value <= 0x7F else {
            throw HardwareError(
                .invalidArgument, .i2cBus(bus),
                "address \(value < 0 ? String(value) : hex(value)) is not a 7-bit address (expected 0x08-0x77)")
        }
        guard I2CAddress.validRange.contains(UInt16(value)) else {
            throw HardwareError(
                .invalidArgument, .i2cBus(bus),
                "address \(hex(value)) is reserved by the I2C specification (expected 0x08-0x77)")
        }
        rawValue = UInt16(value)
    }

    /// For addresses already known to be valid (device models, board data checked on load).
    public init(unchecked value: UInt16) {
        rawValue = value
    }

    /// Parses `0x68`, `68h` or decimal `104`, the forms i2c-tools accepts.
    public static func parse(_ text: String, bus: Int) throws(HardwareError) -> I2CAddress {
        guard let value = parseInteger(text) else {
            throw HardwareError(.invalidArgument, .i2cBus(bus), "'\(text)' is not an address (expected 0x08-0x77)")
        }
        return try I2CAddress(value, bus: bus)
    }

    public var description: String { hex(rawValue) }

    public static func < (lhs: I2CAddress, rhs: I2CAddress) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Parses `0x1f`, `1fh`, `0b101` or decimal, optionally negative; nil when it is not a number.
public func parseInteger(_ text: String) -> Int? {
    var body = Substring(text.lowercased())
    var negative = false
    if body.hasPrefix("-") {
        negative = true
        body = body.dropFirst()
    }
    // A sign is allowed only in front: "0x-5" and "0x+5" are not numbers.
    if body.contains("-") || body.contains("+") { return nil }
    let value: Int?
    if body.hasPrefix("0x") {
        value = Int(body.dropFirst(2), radix: 16)
    } else if body.hasPrefix("0b") {
        value = Int(body.dropFirst(2), radix: 2)
    } else if body.hasSuffix("h"), body.count > 1 {
        value = Int(body.dropLast(), radix: 16)
    } else {
        value = Int(body, radix: 10)
    }
    guard let value, !body.isEmpty else { return nil }
    return negative ? -value : value
}
