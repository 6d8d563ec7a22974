/// Just enough of the WebAssembly binary format to check what a module is before it is
/// instantiated (its memory limits) and to embed the manifest as a custom section.
public enum WasmBinary {
    public static let magic: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    /// A malformed binary, with the byte offset.
    public struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        public let offset: Int
        public let message: String
        public var description: String { "malformed wasm at byte \(offset): \(message)" }
    }

    /// One top-level section: id, and its payload's range in the binary.
    public struct Section: Hashable, Sendable {
        public let id: UInt8
        public let payload: Range<Int>
    }

    /// A linear memory's limits, in 64 KiB pages.
    public struct MemoryLimits: Hashable, Sendable {
        public let minimum: UInt64
        public let maximum: UInt64?

        public init(minimum: UInt64, maximum: UInt64?) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    /// A table's limits, in entries.
    public struct TableLimits: Hashable, Sendable {
        /// Entries at instantiation.
        public let minimum: UInt64
        /// Entries it may grow to; nil when it declares none.
        public let maximum: UInt64?

        public init(minimum: UInt64, maximum: UInt64?) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public static func sections(of bytes: [UInt8]) throws(Malformed) -> [Section] {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw Malformed(offset: 0, message: "not a WebAssembly 1.0 binary")
        }
        var sections: [Section] = []
        var position = 8
        while position < bytes.count {
            let id = bytes[position]
            position += 1
            let size = try readLEB(bytes, &position, end: bytes.count)
            guard size <= UInt64(bytes.count - position) else {
                throw Malformed(offset: position, message: "section \(id) runs past the end (truncated?)")
            }
            sections.append(Section(id: id, payload: position..<position + Int(size)))
            position += Int(size)
        }
        return sections
    }

    /// The limits of every memory the module defines (section 5).
    public static func memories(of bytes: [UInt8]) throws(Malformed) -> [MemoryLimits] {
        guard let section = try sections(of: bytes).first(where: { $0.id == 5 }) else { return [] }
        let end = section.payload.upperBound
        var position = section.payload.lowerBound
        let count = try readLEB(bytes, &position, end: end)
        var limits: [MemoryLimits] = []
        for _ in 0..<min(count, 16) {
            guard position < end else { throw Malformed(offset: position, message: "memory section truncated") }
            let flags = bytes[position]
            position += 1
            let minimum = try readLEB(bytes, &position, end: end)
            let maximum = flags & 1 != 0 ? try readLEB(bytes, &position, end: end) : nil
            limits.append(MemoryLimits(minimum: minimum, maximum: maximum))
        }
        return limits
    }

    /// The limits of every table the module defines (section 4). Only the table types
    /// WasmKit accepts are read (funcref, externref, exnref, and their `ref null` forms);
    /// anything else is malformed here.
    public static func tables(of bytes: [UInt8]) throws(Malformed) -> [TableLimits] {
        guard let section = try sections(of: bytes).first(where: { $0.id == 4 }) else { return [] }
        let end = section.payload.upperBound
        var position = section.payload.lowerBound
        let count = try readLEB(bytes, &position, end: end)
        guard count <= 100 else { throw Malformed(offset: position, message: "\(count) tables") }
        var tables: [TableLimits] = []
        for _ in 0..<count {
            guard position + 2 <= end else { throw Malformed(offset: position, message: "table section truncated") }
            let referenceTypes: [UInt8] = [0x70, 0x6F, 0x69]
            if referenceTypes.contains(bytes[position]) {
                position += 1
            } else if bytes[position] == 0x63, referenceTypes.contains(bytes[position + 1]) {
                position += 2
            } else {
                throw Malformed(offset: position, message: "unsupported table type")
            }
            guard position < end else { throw Malformed(offset: position, message: "table section truncated") }
            let flags = bytes[position]
            position += 1
            guard flags <= 1 else { throw Malformed(offset: position - 1, message: "unsupported table limits \(flags)") }
            let minimum = try readLEB(bytes, &position, end: end)
            let maximum = flags == 1 ? try readLEB(bytes, &position, end: end) : nil
            tables.append(TableLimits(minimum: minimum, maximum: maximum))
        }
        return tables
    }

    /// The payload of the first custom section called `name`.
    public static func customSection(_ name: String, in bytes: [UInt8]) throws(Malformed) -> [UInt8]? {
        for section in try sections(of: bytes) where section.id == 0 {
            var position = section.payload.lowerBound
            // Bounded by the section: an empty custom section (`00 00`) has no name at all.
            let length = try readLEB(bytes, &position, end: section.payload.upperBound)
            guard length <= UInt64(section.payload.upperBound - position) else {
                throw Malformed(offset: position, message: "custom section name runs past its section")
            }
            let sectionName = String(decoding: bytes[position..<position + Int(length)], as: UTF8.self)
            position += Int(length)
            if sectionName == name { return Array(bytes[position..<section.payload.upperBound]) }
        }
        return nil
    }

    /// `bytes` without the custom sections called `name` (to replace an embedded manifest).
    public static func removingCustomSection(_ name: String, from bytes: [UInt8]) throws(Malformed) -> [UInt8] {
        var output = Array(bytes.prefix(8))
        var position = 8
        while position < bytes.count {
            let start = position
            position += 1
            let size = try readLEB(bytes, &position, end: bytes.count)
            guard size <= UInt64(bytes.count - position) else { throw Malformed(offset: position, message: "section runs past the end") }
            let end = position + Int(size)
            var keep = true
            if bytes[start] == 0 {
                var cursor = position
                let length = try readLEB(bytes, &cursor, end: end)
                if length <= UInt64(end - cursor), String(decoding: bytes[cursor..<cursor + Int(length)], as: UTF8.self) == name {
                    keep = false
                }
            }
            if keep { output += bytes[start..<end] }
            position = end
        }
        return output
    }

    /// `bytes` with a custom section appended (custom sections may come last).
    public static func appendingCustomSection(_ name: String, payload: [UInt8], to bytes: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        let content = leb(UInt64(nameBytes.count)) + nameBytes + payload
        return bytes + [0] + leb(UInt64(content.count)) + content
    }

    static func leb(_ value: UInt64) -> [UInt8] {
        var rest = value
        var output: [UInt8] = []
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest != 0 { byte |= 0x80 }
            output.append(byte)
        } while rest != 0
        return output
    }

    /// An unsigned LEB128 read from `position` that stops at `end` (a section's end, never
    /// past the bytes): a value that does not end before it is malformed.
    static func readLEB(_ bytes: [UInt8], _ position: inout Int, end: Int) throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < min(end, bytes.count) {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            guard shift < 64 else { throw Malformed(offset: position, message: "integer too long") }
        }
        throw Malformed(offset: position, message: "unexpected end")
    }
}
