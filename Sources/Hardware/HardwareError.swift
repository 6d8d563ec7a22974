/// A failed hardware operation: what went wrong, on which bus, device, chip or line.
///
/// Every bus and line call throws this type and nothing else, so a caller can tell a
/// missing device from a busy line without parsing text.
public struct HardwareError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure classes a driver can report; the Linux backend maps errno onto these.
    public enum Kind: String, Hashable, Sendable {
        /// The bus, chip, device or line does not exist (ENOENT, ENODEV).
        case noDevice = "no such device"
        /// The device did not acknowledge its address or a byte (ENXIO, EREMOTEIO).
        case nack = "no acknowledge (NACK)"
        /// The bus did not complete the transfer in time (ETIMEDOUT, EAGAIN on a stuck bus).
        case timeout = "timed out"
        /// Someone else holds the device or line (EBUSY).
        case busy = "busy"
        /// The process may not open or use it (EACCES, EPERM).
        case permission = "permission denied"
        /// The request itself is wrong: out-of-range address, offset, length or value.
        case invalidArgument = "invalid argument"
        /// The adapter or chip cannot do this kind of transfer (EOPNOTSUPP).
        case unsupported = "operation not supported"
        /// Any other I/O failure, with the errno text in the detail.
        case io = "I/O error"
    }

    public var kind: Kind
    public var resource: HardwareResource
    /// What was being done and any detail the driver gave, for people.
    public var detail: String

    public init(_ kind: Kind, _ resource: HardwareResource, _ detail: String = "") {
        self.kind = kind
        self.resource = resource
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "\(resource): \(kind.rawValue)" : "\(resource): \(kind.rawValue): \(detail)"
    }
}
