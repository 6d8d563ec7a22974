/// One frame of the control protocol (docs/control-protocol.md): a kind byte, a 4-byte
/// big-endian payload length, then the payload. Our own small format: the core is
/// Foundation-free, and a frame is all a console, an upload or a stream of output needs.
public struct ControlFrame: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        /// Client → core, first: `midflight-control VERSION`.
        case hello = 1
        /// Core → client, the answer to `hello`: `midflight-control VERSION`, then the banner lines.
        case welcome = 2
        /// Client → core: one console line to run.
        case run = 3
        /// Client → core: Ctrl-C for the running command.
        case interrupt = 4
        /// Core → client: output for standard output.
        case output = 5
        /// Core → client: output for standard error.
        case error = 6
        /// Core → client: the request ended with this exit status (decimal text).
        case exit = 7
        /// Client → core: a module bundle follows (payload: options, `--allow-downgrade --no-wait`).
        case push = 8
        /// Client → core: a piece of an upload.
        case data = 9
        /// Client → core: the upload is complete.
        case end = 10
        /// Client → core: a firmware bundle follows (payload: options, `--allow-downgrade --reboot`).
        case firmware = 11
        /// Core → client: the connection is refused or broke the protocol (the reason); it closes.
        case refused = 12
    }

    /// The largest payload either side accepts; a larger one closes the connection.
    public static let maximumPayload = 1 << 20
    public static let headerSize = 5
    /// The protocol version this build speaks.
    public static let version = 1
    public static let greeting = "midflight-control \(version)"

    public let kind: Kind
    public let payload: [UInt8]

    public init(_ kind: Kind, _ payload: [UInt8] = []) {
        self.kind = kind
        self.payload = payload
    }

    public init(_ kind: Kind, text: String) {
        self.init(kind, Array(text.utf8))
    }

    /// The payload as text (invalid UTF-8 replaced).
    public var text: String { String(decoding: payload, as: UTF8.self) }

    /// The frame's bytes on the wire.
    public var encoded: [UInt8] {
        let count = UInt32(payload.count)
        return [kind.rawValue, UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + payload
    }
}
