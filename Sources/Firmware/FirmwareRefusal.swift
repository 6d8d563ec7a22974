/// Why a firmware bundle or an update step is refused; said to the person who asked.
public struct FirmwareRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
