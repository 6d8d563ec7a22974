import Hardware
import HardwareTools

/// Parsers shared by the hardware commands; each failure names what was expected.
enum ArgumentParsing {
    static func bus(_ value: Int) throws -> Int {
        guard (0...1023).contains(value) else {
            throw CommandFailure("bus \(value) is out of range (expected 0-1023)", exitStatus: 2)
        }
        return value
    }

    static func address(_ text: String, bus: Int) throws -> I2CAddress {
        do {
            return try I2CAddress.parse(text, bus: bus)
        } catch {
            throw CommandFailure(error.description, exitStatus: 2)
        }
    }

    static func register(_ text: String) throws -> UInt8 {
        guard let value = parseInteger(text), (0...0xFF).contains(value) else {
            throw CommandFailure("register '\(text)' is not 0x00-0xff", exitStatus: 2)
        }
        return UInt8(value)
    }

    /// `b` (byte) or `w` (word), as i2cget and i2cset take them.
    static func width(_ text: String) throws -> I2CTool.Width {
        guard let width = I2CTool.Width(rawValue: text) else {
            throw CommandFailure("--width must be b or w", exitStatus: 2)
        }
        return width
    }

    static func value(_ text: String) throws -> Int {
        guard let value = parseInteger(text), value >= 0 else {
            throw CommandFailure("value '\(text)' is not a non-negative number", exitStatus: 2)
        }
        return value
    }

    /// `0x00-0x12` or `0-18`.
    static func range(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = parseInteger(String(parts[0])), let high = parseInteger(String(parts[1])),
            (0...0xFF).contains(low), (0...0xFF).contains(high), low <= high
        else {
            throw CommandFailure("range '\(text)' is not FIRST-LAST within 0x00-0xff", exitStatus: 2)
        }
        return low...high
    }
}
