#if canImport(Glibc)
import Glibc
#endif
import Agent
import ControlProtocol
import Platform
import Synchronization
import Updates

/// The core's local control socket: every front-end (the SSH server, `midflight-shell`
/// behind the board's own sshd, `midflight console` on the board) reaches the agent
/// through it. One thread accepts; each connection is served on a thread of its own by a
/// `ControlSession`. A peer that is not root, the agent's user or in the socket's group is
/// refused and logged; every accepted one is logged too.
public final class ControlServer: Sendable {
    public let path: String
    private let listener: ControlListener
    private let agent: RunningAgent
    /// The descriptors of the connections being served, to end them at shutdown.
    private let sessions = Mutex<Set<Int32>>([])
    private let stopped = Mutex(false)

    public static let logSource = "control"

    /// How long a client that stops reading is waited for before it is disconnected.
    private let sendTimeoutSeconds: Int

    /// Binds the socket at `path` and starts accepting.
    public init(path: String, agent: RunningAgent, sendTimeoutSeconds: Int = 10) throws(ControlProtocolError) {
        self.path = path
        self.agent = agent
        self.sendTimeoutSeconds = sendTimeoutSeconds
        listener = try ControlListener(path: path)
        guard spawnThread({ [self] in acceptConnections() }) else {
            listener.close()
            throw .system(call: "pthread_create", reason: "no thread to accept connections")
        }
    }

    private func acceptConnections() {
        let ownUID = UInt32(getuid())
        let log = agent.handle.log
        while let (descriptor, peer) = listener.accept() {
            guard peer.isAllowed(agentUID: ownUID, group: listener.group, memberOf: peer.groups) else {
                log.add(.warning, "refused \(peer): not root, the agent's user or in the socket's group", service: Self.logSource)
                let connection = ControlConnection(descriptor: descriptor, sendTimeoutSeconds: 1)
                try? connection.send(.refused, text: "refused: \(peer) may not use this agent")
                continue
            }
            let admitted = sessions.withLock { sessions in
                guard !stopped.withLock({ $0 }) else { return false }
                sessions.insert(descriptor)
                return true
            }
            guard admitted else {
                close(descriptor)
                return
            }
            log.add(.info, "connection from \(peer)", service: Self.logSource)
            let (agent, sendTimeoutSeconds) = (self.agent, self.sendTimeoutSeconds)
            let started = spawnThread { [self] in
                let connection = ControlConnection(descriptor: descriptor, sendTimeoutSeconds: sendTimeoutSeconds)
                ControlSession(connection: connection, agent: agent, peer: peer).serve()
                // Out of the set before the descriptor closes: shutdown never reaches a reused number.
                sessions.withLock { _ = $0.remove(descriptor) }
                connection.close()
            }
            if !started {
                sessions.withLock { _ = $0.remove(descriptor) }
                close(descriptor)
            }
        }
    }

    /// Stops accepting, removes the socket file and ends every session (a command sees
    /// its client gone; an upload in progress is abandoned).
    public func shutdown() {
        listener.close()
        // Under the lock: a session leaves the set before its descriptor closes, so no
        // number reused since is shut down.
        sessions.withLock { sessions in
            stopped.withLock { $0 = true }
            for descriptor in sessions { Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }
}
