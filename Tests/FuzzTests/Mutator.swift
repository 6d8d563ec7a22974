/// A seeded mutation source for the parser fuzz loops: deterministic for a seed, so a
/// failure in CI reproduces with the same `MIDFLIGHT_FUZZ_SEED`.
struct Mutator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        bound <= 1 ? 0 : Int(next() % UInt64(bound))
    }

    /// Values that break length and offset arithmetic: zero, one, the edges of each width,
    /// LEB128 runs that never end.
    static let interesting: [[UInt8]] = [
        [0x00], [0x01], [0x7F], [0x80], [0xFF], [0x00, 0x00], [0xFF, 0xFF],
        [0xFF, 0xFF, 0xFF, 0xFF], [0x00, 0x00, 0x00, 0x80], [0xFF, 0xFF, 0xFF, 0x7F],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        Array("\"".utf8), Array("{".utf8), Array("[".utf8), Array("\\u".utf8), Array("1e999999".utf8),
        Array("-".utf8), Array("../".utf8), Array("=".utf8),
    ]

    /// `input` with one to four mutations stacked: bit flips, byte sets, inserted and
    /// removed runs, interesting values, truncation, duplication of a slice.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            let position = below(bytes.count + 1)
            switch below(9) {
            case 0 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] ^= UInt8(1 << below(8))
            case 1 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: next())
            case 2:
                bytes.insert(contentsOf: Self.interesting[below(Self.interesting.count)], at: position)
            case 3 where !bytes.isEmpty:
                let value = Self.interesting[below(Self.interesting.count)]
                let start = min(position, bytes.count - 1)
                for (offset, byte) in value.enumerated() where start + offset < bytes.count { bytes[start + offset] = byte }
            case 4:
                bytes.removeSubrange(position..<min(bytes.count, position + 1 + below(16)))
            case 5:
                bytes = Array(bytes.prefix(position))
            case 6 where !bytes.isEmpty:
                let start = below(bytes.count)
                let slice = bytes[start..<min(bytes.count, start + 1 + below(64))]
                bytes.insert(contentsOf: slice, at: position)
            case 7:
                bytes.insert(contentsOf: (0..<1 + below(8)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: position)
            default:
                if !bytes.isEmpty { bytes.swapAt(below(bytes.count), below(bytes.count)) }
            }
        }
        return bytes
    }
}
