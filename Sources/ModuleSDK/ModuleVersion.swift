/// A module version as the ABI passes it: `major << 20 | minor << 10 | patch`.
public struct ModuleVersion: Equatable {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init(packed: Int32) {
        major = Int(packed >> 20 & 0x3FF)
        minor = Int(packed >> 10 & 0x3FF)
        patch = Int(packed & 0x3FF)
    }

    public var packed: Int32 { Int32(major) << 20 | Int32(minor) << 10 | Int32(patch) }

    public static func < (lhs: ModuleVersion, rhs: ModuleVersion) -> Bool { lhs.packed < rhs.packed }
}
