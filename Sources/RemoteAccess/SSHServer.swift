import Agent
import Boards
import NIOCore
import NIOPosix
import NIOSSH
import Synchronization

/// The agent's SSH server (swift-nio-ssh): public-key logins against an authorized_keys
/// file, sessions for the console, one-shot commands and `module-push`.
public final class SSHServer: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    public let port: Int
    /// Connections open at once, at most.
    public static let maximumSessions = 8
    /// Seconds a connection has to log in.
    public static let loginSeconds: Int64 = 30

    /// Starts listening on `host:port` (port 0: any free one, see `port`).
    public init(
        agent: AgentRuntime, host: String, port: Int, authorizedKeysFile: String, dataDirectory: String
    ) throws(Failure) {
        let text: String
        do {
            text = String(decoding: try FileSystem.read(authorizedKeysFile, limit: 1 << 20), as: UTF8.self)
        } catch {
            throw Failure(description: "cannot read the authorized keys: \(error)")
        }
        let authorized = AuthorizedKeys(text: text, file: authorizedKeysFile)
        for problem in authorized.problems { agent.log.add("warning", problem, at: 0) }
        guard !authorized.keys.isEmpty else {
            throw Failure(description: "\(authorizedKeysFile) has no usable key (ssh-ed25519 or ecdsa-sha2-nistp256)")
        }
        let hostKey: NIOSSHPrivateKey
        do {
            hostKey = try HostKey.loadOrCreate(in: dataDirectory)
        } catch {
            throw Failure(description: error.description)
        }
        let log: @Sendable (String) -> Void = { message in agent.log.add("warning", message, at: 0) }
        let sessions = SessionCounter(limit: SSHServer.maximumSessions)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                // Beyond the limit a connection is closed at once; the console of those
                // already in stays responsive.
                guard sessions.enter() else {
                    log("refused a connection: \(SSHServer.maximumSessions) sessions are open")
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in sessions.leave() }
                let delegate = AuthenticationDelegate(authorized: authorized, connection: channel, log: log)
                // A connection that has not logged in within the limit is closed, so idle
                // connections cannot hold every session slot.
                channel.eventLoop.scheduleTask(in: .seconds(SSHServer.loginSeconds)) {
                    if !delegate.authenticated.load(ordering: .acquiring) { channel.close(promise: nil) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSHHandler(
                            role: .server(.init(hostKeys: [hostKey], userAuthDelegate: delegate)),
                            allocator: channel.allocator,
                            inboundChildChannelInitializer: { child, type in
                                guard case .session = type else {
                                    return child.eventLoop.makeFailedFuture(Failure(description: "only session channels"))
                                }
                                return child.eventLoop.makeCompletedFuture {
                                    try child.pipeline.syncOperations.addHandler(SessionHandler(agent: agent))
                                }
                            }))
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw Failure(description: "cannot listen on \(host):\(port): \(error)")
        }
        self.group = group
        self.port = channel.localAddress?.port ?? port
    }

    public func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Open connections, counted across event-loop threads.
final class SessionCounter: Sendable {
    private let count = Atomic(0)
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func enter() -> Bool {
        if count.add(1, ordering: .relaxed).newValue > limit {
            count.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() {
        count.subtract(1, ordering: .relaxed)
    }
}
