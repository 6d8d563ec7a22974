/// Why a module was not loaded or instantiated; said to the person who pushed it.
public struct ModuleRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
