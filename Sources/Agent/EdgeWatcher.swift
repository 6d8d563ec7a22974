import Synchronization

/// A thread that waits for edges on one line and posts them to the agent's mailbox.
final class EdgeWatcher: Sendable {
    private let stopped = Atomic(false)

    func stop() {
        stopped.store(true, ordering: .releasing)
    }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }
}
