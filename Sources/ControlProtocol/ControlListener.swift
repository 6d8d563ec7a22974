#if canImport(Glibc)
import Glibc
#endif

/// The listening control socket: a Unix-domain stream socket at a path, mode 0660 (group
/// `midflight` where the system has one), each accepted connection with its peer's
/// credentials as the kernel gives them (`SO_PEERCRED`).
public final class ControlListener: Sendable {
    public let path: String
    /// The group that may connect besides root and the agent's own user, if the system has it.
    public let group: gid_t?
    private let descriptor: Int32

    /// Binds `path` (a stale socket file left by a crash is replaced; anything else there
    /// is refused) and listens.
    public init(path: String, groupName: String = "midflight") throws(ControlProtocolError) {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw .system(call: "bind \(path)", reason: "a file that is not a socket is there")
            }
            // Left by a crash, or another agent's: only a socket nobody answers on is replaced.
            if (try? ControlConnection.connect(to: path, sendTimeoutSeconds: 1)) != nil {
                throw .system(call: "bind \(path)", reason: "another agent is listening there")
            }
            unlink(path)
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .system(call: "socket", reason: String(cString: strerror(errno))) }
        var address = try UnixAddress(path)
        // Bound under the process's umask (0755 at most: connecting needs write permission,
        // so only the owner can until the chmod), listening only after it is 0660.
        let bound = address.withSockaddr { bind(descriptor, $0, $1) }
        guard bound == 0, chmod(path, 0o660) == 0, listen(descriptor, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw .system(call: "bind \(path)", reason: reason)
        }
        let group = getgrnam(groupName).map { $0.pointee.gr_gid }
        if let group { chown(path, uid_t.max, group) }
        self.path = path
        self.group = group
        self.descriptor = descriptor
    }

    /// The next connection's descriptor (for a `ControlConnection` on the thread that
    /// serves it) and who made it; `nil` once the listener is closed.
    public func accept() -> (descriptor: Int32, peer: PeerCredentials)? {
        while true {
            let client = Glibc.accept(descriptor, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                    continue
                }
                // Closed: the descriptor is freed here, by the one thread that used it.
                Glibc.close(descriptor)
                return nil
            }
            // accept4 is GNU-only in Glibc's module: close-on-exec set right after instead.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard let peer = PeerCredentials(of: client) else {
                Glibc.close(client)
                continue
            }
            return (client, peer)
        }
    }

    /// Stops accepting (the thread blocked in `accept` returns nil and frees the
    /// descriptor) and removes the socket file.
    public func close() {
        Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
        unlink(path)
    }
}
