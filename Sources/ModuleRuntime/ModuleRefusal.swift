/// Why a module was not loaded or instantiated: what kind of problem (for code that
/// decides) and the line said to the person who pushed it.
public struct ModuleRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Not WebAssembly, not valid, or without a valid embedded manifest.
        case invalid
        /// Larger than the module limit, or memory or tables that may grow past the limits.
        case limits
        /// Built for a module ABI this agent does not run, or importing what the host does not provide.
        case incompatible
        /// An export the ABI requires is missing or has the wrong signature.
        case missingExport
        /// Instantiation or the ABI check failed.
        case instantiation
        /// No file of the module, or none usable, or one holding another module.
        case notFound
        /// Its file could not be read.
        case unreadable
        /// The service's grants or hardware could not be given to it.
        case resources
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
