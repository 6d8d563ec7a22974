import Hardware
import Platform
import Synchronization

/// A thread that waits for edges on one requested line and hands each to `post` (the
/// agent's mailbox), until stopped or the line is released.
final class EdgeWatcher: Sendable {
    private let stopped = Atomic(false)

    /// Starts watching `request` on a thread of its own.
    static func watch(_ request: any GPIOLineRequest, post: @escaping @Sendable (GPIOEdgeEvent) -> Void) -> EdgeWatcher {
        let watcher = EdgeWatcher()
        spawnThread {
            while !watcher.isStopped {
                let events: [GPIOEdgeEvent]
                do {
                    events = try request.waitForEdges(timeoutNanoseconds: 100_000_000)
                } catch {
                    // Released (restart, stop) or the chip went away: this watcher is done.
                    return
                }
                guard !watcher.isStopped else { return }
                events.forEach(post)
            }
        }
        return watcher
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
    }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }
}
