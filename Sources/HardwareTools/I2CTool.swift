import Hardware
import JSON

/// i2c-tools-like operations on any backend, producing the output people know from
/// `i2cdetect`, `i2cget`, `i2cset` and `i2cdump`. Shared by `midflight i2c …`,
/// `midflightd i2c …` and the console.
public struct I2CTool: Sendable {
    public let backend: any HardwareBackend

    public init(backend: any HardwareBackend) {
        self.backend = backend
    }

    /// How a register is read or written.
    public enum Width: String, Sendable, CaseIterable {
        /// SMBus byte data (`b`, the default).
        case byte = "b"
        /// SMBus word data, low byte first (`w`).
        case word = "w"
    }

    /// The state of one address in a scan.
    public enum ScanResult: Hashable, Sendable {
        case absent
        case present
        /// A kernel driver holds the address (`UU` in i2cdetect).
        case busy
    }

    public func scan(bus number: Int) throws(HardwareError) -> [UInt16: ScanResult] {
        let bus = try backend.i2cBus(number)
        var results: [UInt16: ScanResult] = [:]
        for raw in I2CAddress.validRange {
            let address = I2CAddress(unchecked: raw)
            do {
                results[raw] = try bus.probe(address) ? .present : .absent
            } catch where error.kind == .busy {
                results[raw] = .busy
            }
        }
        return results
    }

    /// The `i2cdetect` grid.
    public static func formatScan(_ results: [UInt16: ScanResult]) -> String {
        var lines = ["     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f"]
        for row in stride(from: 0, to: 0x80, by: 0x10) {
            var line = hexDigits(row, 2) + ":"
            for column in 0..<16 {
                let address = UInt16(row + column)
                switch results[address] {
                case nil: line += "   "
                case .absent: line += " --"
                case .present: line += " " + hexDigits(Int(address), 2)
                case .busy: line += " UU"
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    public static func scanJSON(bus: Int, _ results: [UInt16: ScanResult]) -> JSONValue {
        let found = results.keys.sorted().filter { results[$0] != .absent }.map { address -> JSONValue in
            .object([
                ("address", .string(hex(address))),
                ("state", .string(results[address] == .busy ? "busy" : "present")),
            ])
        }
        return .object([("bus", .number(Double(bus))), ("devices", .array(found))])
    }

    public func get(bus number: Int, address: I2CAddress, register: UInt8?, width: Width) throws(HardwareError) -> Int {
        let bus = try backend.i2cBus(number)
        guard let register else {
            guard width == .byte else {
                throw HardwareError(.invalidArgument, bus.resource(address), "a word read needs a register")
            }
            return Int(try bus.readByte(from: address))
        }
        switch width {
        case .byte: return Int(try bus.readByte(from: address, register: register))
        case .word: return Int(try bus.readWord(from: address, register: register))
        }
    }

    public func set(bus number: Int, address: I2CAddress, register: UInt8, value: Int, width: Width) throws(HardwareError) {
        let bus = try backend.i2cBus(number)
        let limit = width == .byte ? 0xFF : 0xFFFF
        guard (0...limit).contains(value) else {
            throw HardwareError(
                .invalidArgument, bus.resource(address),
                "value \(value) does not fit a \(width == .byte ? "byte (0-0xff)" : "word (0-0xffff)")")
        }
        switch width {
        case .byte: try bus.writeByte(UInt8(value), to: address, register: register)
        case .word: try bus.writeWord(UInt16(value), to: address, register: register)
        }
    }

    /// Reads `range` register by register (SMBus byte data, as i2cdump's default); a
    /// register that fails reads as nil and shows as `XX`.
    public func dump(bus number: Int, address: I2CAddress, range: ClosedRange<Int>) throws(HardwareError) -> [Int: UInt8?] {
        let bus = try backend.i2cBus(number)
        guard try bus.probe(address) else {
            throw HardwareError(.nack, bus.resource(address), "no device acknowledged the address")
        }
        var values: [Int: UInt8?] = [:]
        for register in range {
            do {
                values[register] = .some(try bus.readByte(from: address, register: UInt8(register)))
            } catch where error.kind == .nack || error.kind == .io {
                values[register] = .some(nil)
            }
        }
        return values
    }

    /// The `i2cdump` table with its ASCII column.
    public static func formatDump(_ values: [Int: UInt8?]) -> String {
        var lines = ["     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef"]
        let rows = Set(values.keys.map { $0 & ~0xF }).sorted()
        for row in rows {
            var hexPart = hexDigits(row, 2) + ":"
            var textPart = ""
            for column in 0..<16 {
                switch values[row + column] {
                case nil:
                    hexPart += "   "
                    textPart += " "
                case .some(nil):
                    hexPart += " XX"
                    textPart += "X"
                case .some(.some(let byte)):
                    hexPart += " " + hexDigits(Int(byte), 2)
                    // i2cdump's convention: 0x00 and 0xff as '.', other non-printables as '?'.
                    if byte == 0 || byte == 0xFF {
                        textPart += "."
                    } else if (0x20...0x7E).contains(byte) {
                        textPart += String(Character(Unicode.Scalar(byte)))
                    } else {
                        textPart += "?"
                    }
                }
            }
            lines.append(hexPart + "    " + textPart)
        }
        return lines.joined(separator: "\n")
    }

    public static func dumpJSON(bus: Int, address: I2CAddress, _ values: [Int: UInt8?]) -> JSONValue {
        let registers = values.keys.sorted().map { register -> JSONValue in
            guard case .some(.some(let byte)) = values[register] else { return .null }
            return .number(Double(byte))
        }
        let first = values.keys.min() ?? 0
        return .object([
            ("bus", .number(Double(bus))), ("address", .string(address.description)),
            ("first", .number(Double(first))), ("registers", .array(registers)),
        ])
    }
}

/// Lower-case hex without a prefix, zero-padded.
func hexDigits(_ value: Int, _ digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}
