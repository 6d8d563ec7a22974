import Synchronization

/// Ctrl-C of a session, set on the event loop and read by the command's thread.
final class StopFlag: Sendable {
    private let flag = Atomic(false)

    func set() { flag.store(true, ordering: .releasing) }
    func reset() { flag.store(false, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
