/// Writes a module's state as compact bytes for `snapshot` (no Codable in Embedded
/// Swift): unsigned LEB128 for integers (zigzag for signed), 8 bytes for doubles, one
/// byte for bools, length-prefixed byte strings. Fields are positional: a later version
/// reads them in the order an earlier one wrote them.
public struct StateWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ value: UInt64) {
        var rest = value
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while rest != 0
    }

    public mutating func write(_ value: Int64) {
        // Zigzag: small negative numbers stay short.
        write(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func write(_ value: Int) {
        write(Int64(value))
    }

    public mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    public mutating func write(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(bits & 0xFF))
            bits >>= 8
        }
    }

    public mutating func write(bytes value: [UInt8]) {
        write(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}

/// Reads what a `StateWriter` wrote. Every read returns nil past the end or on a
/// malformed value, so a module can refuse state it does not understand.
public struct StateReader {
    private let bytes: [UInt8]
    private var position = 0

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func readUInt64() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    public mutating func readInt64() -> Int64? {
        guard let raw = readUInt64() else { return nil }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    public mutating func readInt() -> Int? {
        guard let value = readInt64(), value >= Int64(Int.min), value <= Int64(Int.max) else { return nil }
        return Int(value)
    }

    public mutating func readBool() -> Bool? {
        guard position < bytes.count, bytes[position] <= 1 else { return nil }
        position += 1
        return bytes[position - 1] == 1
    }

    public mutating func readDouble() -> Double? {
        guard bytes.count - position >= 8 else { return nil }
        var bits: UInt64 = 0
        for index in 0..<8 {
            bits |= UInt64(bytes[position + index]) << (8 * UInt64(index))
        }
        position += 8
        return Double(bitPattern: bits)
    }

    public mutating func readBytes() -> [UInt8]? {
        guard let count = readUInt64(), count <= UInt64(bytes.count - position) else { return nil }
        let start = position
        position += Int(count)
        return Array(bytes[start..<position])
    }
}
