import Synchronization

/// The authorized keys in force, shared by the server (which re-reads them on SIGHUP)
/// and every connection's authentication.
final class CurrentAuthorizedKeys: Sendable {
    private let keys: Mutex<AuthorizedKeys>

    init(_ keys: AuthorizedKeys) {
        self.keys = Mutex(keys)
    }

    var value: AuthorizedKeys { keys.withLock { $0 } }

    func replace(with new: AuthorizedKeys) {
        keys.withLock { $0 = new }
    }
}
