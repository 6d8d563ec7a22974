#if canImport(Glibc)
import Glibc
#endif

/// One end of a control connection: a connected Unix-domain stream socket read and written
/// in frames, blocking, on the caller's thread. Sending waits at most the send bound: a
/// peer that stops reading is a `.timedOut` error (the caller closes), never a growing queue.
public final class ControlConnection {
    public let descriptor: Int32
    private var decoder = FrameDecoder()
    private var closed = false

    /// Takes `descriptor` (closed by `close` or when this goes); sends wait at most
    /// `sendTimeoutSeconds` for the peer to read.
    public init(descriptor: Int32, sendTimeoutSeconds: Int = 10) {
        self.descriptor = descriptor
        var bound = timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &bound, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close()
    }

    /// Connects to the control socket at `path`.
    public static func connect(to path: String, sendTimeoutSeconds: Int = 10) throws(ControlProtocolError) -> ControlConnection {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .system(call: "socket", reason: String(cString: strerror(errno))) }
        var address = try UnixAddress(path)
        let result = address.withSockaddr { Glibc.connect(descriptor, $0, $1) }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw .system(call: "connect \(path)", reason: reason)
        }
        return ControlConnection(descriptor: descriptor, sendTimeoutSeconds: sendTimeoutSeconds)
    }

    public func send(_ frame: ControlFrame) throws(ControlProtocolError) {
        let bytes = frame.encoded
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                if errno == EPIPE || errno == ECONNRESET { throw .closed(midFrame: false) }
                throw .system(call: "send", reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    public func send(_ kind: ControlFrame.Kind, text: String) throws(ControlProtocolError) {
        try send(ControlFrame(kind, text: text))
    }

    /// The next frame; `.closed` when the peer closed between frames, `.timedOut` when
    /// none came within `timeoutMilliseconds` (if given).
    public func receive(timeoutMilliseconds: Int32? = nil) throws(ControlProtocolError) -> ControlFrame {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let frame = try decoder.next() { return frame }
            if let timeoutMilliseconds {
                var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&waiting, 1, timeoutMilliseconds)
                if ready == 0 { throw .timedOut }
                if ready < 0, errno != EINTR { throw .system(call: "poll", reason: String(cString: strerror(errno))) }
                if ready < 0 { continue }
            }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                if errno == ECONNRESET { throw .closed(midFrame: decoder.pending > 0) }
                throw .system(call: "recv", reason: String(cString: strerror(errno)))
            }
            if count == 0 { throw .closed(midFrame: decoder.pending > 0) }
            decoder.append(chunk.prefix(count))
        }
    }

    /// Stops both directions (a thread blocked in `receive` returns), without freeing the descriptor.
    public func shutdown() {
        Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(descriptor)
    }
}
