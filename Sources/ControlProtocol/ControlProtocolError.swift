/// Why a control connection ended: what went wrong, with what it concerns.
public enum ControlProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A frame of a kind this side does not know.
    case unknownKind(UInt8)
    /// A frame longer than `ControlFrame.maximumPayload`.
    case oversized(Int)
    /// A frame this side does not expect now (`kind`, and what was expected).
    case unexpected(ControlFrame.Kind, expected: String)
    /// The other side speaks another protocol or version (what it said).
    case versionMismatch(String)
    /// The other side closed the connection (mid-frame, when `midFrame`).
    case closed(midFrame: Bool)
    /// The other side did not read or write within the bound.
    case timedOut
    /// The core refused the connection or the request (its reason).
    case refused(String)
    /// A system call failed (which one, and errno's text).
    case system(call: String, reason: String)

    public var description: String {
        switch self {
        case .unknownKind(let kind): return "unknown frame kind \(kind)"
        case .oversized(let length): return "a frame of \(length) bytes is larger than the \(ControlFrame.maximumPayload)-byte limit"
        case .unexpected(let kind, let expected): return "unexpected \(kind) frame (expected \(expected))"
        case .versionMismatch(let said): return "not the control protocol this side speaks (\(ControlFrame.greeting)): '\(said.prefix(80))'"
        case .closed(let midFrame): return midFrame ? "the connection closed in the middle of a frame" : "the connection closed"
        case .timedOut: return "the other side stopped reading or writing"
        case .refused(let reason): return reason
        case .system(let call, let reason): return "\(call): \(reason)"
        }
    }
}
