import Agent
import Boards
import NIOCore
import NIOPosix
import NIOSSH
import Platform
import Updates

/// The agent's SSH server (swift-nio-ssh): public-key logins against an authorized_keys
/// file, sessions for the console, one-shot commands and `module-push`.
public final class SSHServer: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    public let port: Int
    /// Who may connect, and the counts of those who did.
    public let gate: ConnectionGate
    private let authorized: CurrentAuthorizedKeys
    private let authorizedKeysFile: String
    private let log: @Sendable (LogLevel, String) -> Void
    /// The log source of the server's lines.
    public static let logSource = "ssh"
    /// Seconds between the lines that sum up refused connections.
    static let summarySeconds: Int64 = 10

    /// Starts listening on `host:port` (port 0: any free one, see `port`).
    public init(
        agent: RunningAgent, host: String, port: Int, authorizedKeysFile: String, dataDirectory: String,
        limits: ConnectionGate.Limits = ConnectionGate.Limits()
    ) throws(Failure) {
        let text: String
        do {
            text = String(decoding: try FileSystem.read(authorizedKeysFile, limit: 1 << 20), as: UTF8.self)
        } catch {
            throw Failure(description: "cannot read the authorized keys: \(error)")
        }
        let authorized = AuthorizedKeys(text: text, file: authorizedKeysFile)
        // Under a source of their own: strangers' attempts cannot use up the agent's rate.
        for problem in authorized.problems { agent.handle.log.add(.warning, problem, service: SSHServer.logSource) }
        guard !authorized.keys.isEmpty else {
            throw Failure(description: "\(authorizedKeysFile) has no usable key (ssh-ed25519 or ecdsa-sha2-nistp256)")
        }
        let current = CurrentAuthorizedKeys(authorized)
        self.authorized = current
        self.authorizedKeysFile = authorizedKeysFile
        self.log = { agent.handle.log.add($0, $1, service: SSHServer.logSource) }
        let hostKey: NIOSSHPrivateKey
        do {
            hostKey = try HostKey.loadOrCreate(in: dataDirectory, log: { agent.handle.log.add(.error, $0, service: SSHServer.logSource) })
        } catch {
            throw Failure(description: error.description)
        }
        let log: @Sendable (String) -> Void = { message in agent.handle.log.add(.warning, message, service: SSHServer.logSource) }
        let gate = ConnectionGate(limits: limits)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(SSHServer.summarySeconds)) { _ in
            if let line = gate.refusalSummary(seconds: Int(SSHServer.summarySeconds)) { log(line) }
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let source = channel.remoteAddress?.ipAddress ?? "?"
                // Refused connections are closed at once and summed up every few seconds.
                if gate.admit(source: source) != nil { return channel.close() }
                let delegate = AuthenticationDelegate(
                    keys: { current.value }, connection: channel, log: log, admit: { gate.authenticated(source: source) })
                // A client that says nothing is dropped early; one that has not logged in
                // within the limit, later: idle connections hold startups only briefly.
                let identification = channel.eventLoop.scheduleTask(in: .seconds(limits.identificationSeconds)) {
                    channel.close(promise: nil)
                }
                let login = channel.eventLoop.scheduleTask(in: .seconds(limits.loginSeconds)) {
                    if !delegate.authenticated.load(ordering: .acquiring) { channel.close(promise: nil) }
                }
                channel.closeFuture.whenComplete { _ in
                    identification.cancel()
                    login.cancel()
                    gate.closed(source: source, authenticated: delegate.authenticated.load(ordering: .acquiring))
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        FirstBytesHandler { identification.cancel() },
                        NIOSSHHandler(
                            role: .server(.init(hostKeys: [hostKey], userAuthDelegate: delegate)),
                            allocator: channel.allocator,
                            inboundChildChannelInitializer: { child, type in
                                guard case .session = type else {
                                    return child.eventLoop.makeFailedFuture(Failure(description: "only session channels"))
                                }
                                return child.eventLoop.makeCompletedFuture {
                                    try child.pipeline.syncOperations.addHandler(
                                        SessionRouter(agent: agent, allowsPty: { delegate.allowsPty.load(ordering: .acquiring) }))
                                }
                            }),
                    ])
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw Failure(description: "cannot listen on \(host):\(port): \(error)")
        }
        self.group = group
        self.gate = gate
        self.port = channel.localAddress?.port ?? port
    }

    /// Reads the authorized keys again (SIGHUP): logins from now on are checked against
    /// what the file says (a deleted file: nobody); sessions already open stay. A file that
    /// exists but cannot be read leaves the keys as they were.
    public func reloadAuthorizedKeys() {
        let text: String
        if !FileSystem.exists(authorizedKeysFile) {
            // Deleted: nobody may log in any more, as with sshd.
            text = ""
        } else {
            do {
                text = String(decoding: try FileSystem.read(authorizedKeysFile, limit: 1 << 20), as: UTF8.self)
            } catch {
                log(.error, "cannot re-read the authorized keys (kept as they were): \(error)")
                return
            }
        }
        let keys = AuthorizedKeys(text: text, file: authorizedKeysFile)
        for problem in keys.problems { log(.warning, problem) }
        authorized.replace(with: keys)
        log(keys.keys.isEmpty ? .warning : .info, "authorized keys re-read: \(keys.keys.count) usable")
    }

    public func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
