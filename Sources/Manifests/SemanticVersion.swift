/// A `MAJOR.MINOR.PATCH` version; each part 0–1023 so it packs into the ABI's i32.
public struct SemanticVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public static let partRange = 0...1023

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `1.2.3`; nil for anything else (prefixes, pre-release tags, parts over 1023).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                part == "0" || !part.hasPrefix("0"), let value = Int(part), SemanticVersion.partRange.contains(value)
            else { return nil }
            numbers.append(value)
        }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    /// The ABI's packed form, `major << 20 | minor << 10 | patch`.
    public var packed: Int32 { Int32(major) << 20 | Int32(minor) << 10 | Int32(patch) }

    public init(packed: Int32) {
        self.init(Int(packed >> 20 & 0x3FF), Int(packed >> 10 & 0x3FF), Int(packed & 0x3FF))
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
