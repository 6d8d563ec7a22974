#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Synchronization

/// The sending side of a control connection, shared by the session's thread and its
/// command's: whole frames, one at a time. The socket's send bound (`SO_SNDTIMEO`) limits
/// how long a client that stops reading is waited for; then the connection is broken
/// (shut down), so nothing queues without limit.
final class ControlWriter: Sendable {
    private let descriptor: Int32
    private let state = Mutex((broken: false, closed: false))

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Whether a send failed (the client went or stopped reading).
    var isBroken: Bool { state.withLock { $0.broken } }

    /// Sends one frame; false (and the connection broken) if the client did not take it.
    @discardableResult
    func send(_ kind: ControlFrame.Kind, text: String) -> Bool {
        let bytes = ControlFrame(kind, text: text).encoded
        return state.withLock { state -> Bool in
            guard !state.broken, !state.closed else { return false }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if written < 0 {
                    if errno == EINTR { continue }
                    state.broken = true
                    // The session's thread, waiting for the client, sees the end at once.
                    Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// No more frames (the session ends; its connection closes the descriptor).
    func close() {
        state.withLock { $0.closed = true }
    }
}
