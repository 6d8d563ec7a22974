/// Why the boot environment could not be read or stored. Never answered with defaults:
/// an environment with no valid copy is an error, so nothing default is ever persisted.
public struct BootEnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
