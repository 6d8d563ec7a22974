/// Frames out of a byte stream, as bytes arrive: pure, so malformed input is tested
/// without a socket. A frame too large or of an unknown kind is an error, and the
/// connection it came from closes.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Bytes not yet part of a whole frame.
    public var pending: Int { buffer.count - start }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil until more bytes come.
    public mutating func next() throws(ControlProtocolError) -> ControlFrame? {
        guard pending >= ControlFrame.headerSize else { return nil }
        guard let kind = ControlFrame.Kind(rawValue: buffer[start]) else { throw .unknownKind(buffer[start]) }
        let length = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
        guard length <= ControlFrame.maximumPayload else { throw .oversized(length) }
        guard pending >= ControlFrame.headerSize + length else { return nil }
        let body = start + ControlFrame.headerSize
        let frame = ControlFrame(kind, Array(buffer[body..<(body + length)]))
        start = body + length
        // Keep the buffer from growing with what was already read.
        if start > 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        return frame
    }
}
