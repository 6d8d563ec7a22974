#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a Unix-domain connection, as the kernel says (`SO_PEERCRED`):
/// the process, user and group at the time it connected.
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The credentials of the peer of `descriptor`, or nil if the kernel does not say.
    public init?(of descriptor: Int32) {
        // struct ucred, which Glibc's module hides behind _GNU_SOURCE.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        self.init(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }

    /// The user's name, if the system knows it.
    public var userName: String? {
        getpwuid(uid).map { String(cString: $0.pointee.pw_name) }
    }

    /// The groups the user is in (primary and supplementary), from the group database.
    public var groups: [UInt32] {
        guard let account = getpwuid(uid) else { return [gid] }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(account.pointee.pw_name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(account.pointee.pw_name, gid, &groups, &count)
        }
        return Array(groups.prefix(Int(max(0, count)))) + [gid]
    }

    /// May this peer use the agent: root, the agent's own user, or a member of `group`.
    public func isAllowed(agentUID: UInt32, group: UInt32?, memberOf groups: [UInt32]) -> Bool {
        uid == 0 || uid == agentUID || (group.map { groups.contains($0) } ?? false)
    }

    public var description: String {
        "uid \(uid)\(userName.map { " (\($0))" } ?? "") pid \(pid)"
    }
}
