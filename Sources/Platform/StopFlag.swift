import Synchronization

/// Ctrl-C of a console session, set by the thread that reads the client and read by the command's thread.
public final class StopFlag: Sendable {
    public init() {}

    private let flag = Atomic(false)

    public func set() { flag.store(true, ordering: .releasing) }
    public func reset() { flag.store(false, ordering: .releasing) }
    public var isSet: Bool { flag.load(ordering: .acquiring) }
}
