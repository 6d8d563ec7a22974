import NIOCore
import NIOSSH
import Synchronization

/// Public-key authentication against the authorized keys; passwords and
/// keyboard-interactive are refused. Refusals are logged with the key's fingerprint on the
/// device (the client only sees "Permission denied (publickey)").
///
/// One delegate per connection: after `maximumFailures` refused attempts the connection
/// is closed, so a client cannot try keys or passwords without end.
final class AuthenticationDelegate: NIOSSHServerUserAuthenticationDelegate, Sendable {
    static let maximumFailures = 6

    /// The keys as they are now (re-read on SIGHUP).
    let keys: @Sendable () -> AuthorizedKeys
    let log: @Sendable (String) -> Void
    private let failures = Atomic(0)
    /// Whether this connection has logged in (checked by the login time limit).
    let authenticated = Atomic(false)
    /// Whether the key it logged in with may have a terminal (`no-pty`, `restrict`).
    let allowsPty = Atomic(true)
    private let connection: Channel
    /// Asked once the key checks out: false when no session slot is free.
    private let admit: @Sendable () -> Bool

    init(
        keys: @escaping @Sendable () -> AuthorizedKeys, connection: Channel, log: @escaping @Sendable (String) -> Void,
        admit: @escaping @Sendable () -> Bool = { true }
    ) {
        self.keys = keys
        self.connection = connection
        self.log = log
        self.admit = admit
    }

    private func refuse(_ promise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        promise.succeed(.failure)
        if failures.add(1, ordering: .relaxed).newValue >= AuthenticationDelegate.maximumFailures {
            log("closing a connection after \(AuthenticationDelegate.maximumFailures) refused login attempts")
            connection.close(promise: nil)
        }
    }

    var supportedAuthenticationMethods: NIOSSHAvailableUserAuthenticationMethods { .publicKey }

    func requestReceived(
        request: NIOSSHUserAuthenticationRequest, responsePromise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>
    ) {
        switch request.request {
        case .publicKey(let offered):
            let authorized = keys()
            let address = connection.remoteAddress?.ipAddress ?? "?"
            if authorized.entries[offered.publicKey] != nil, !authorized.allows(offered.publicKey, from: address) {
                log("refused key \(AuthorizedKeys.fingerprint(offered.publicKey)) for \(request.username.prefix(64)) from \(address): not allowed from there (from=)")
                refuse(responsePromise)
            } else if let entry = authorized.entries[offered.publicKey] {
                guard authenticated.load(ordering: .acquiring) || admit() else {
                    log("refused a login for \(request.username.prefix(64)): all sessions are in use")
                    responsePromise.succeed(.failure)
                    connection.close(promise: nil)
                    return
                }
                allowsPty.store(entry.allowsPty, ordering: .releasing)
                authenticated.store(true, ordering: .releasing)
                responsePromise.succeed(.success)
            } else {
                let fingerprint = AuthorizedKeys.fingerprint(offered.publicKey)
                log("refused key \(fingerprint) for \(request.username.prefix(64)) (not in authorized_keys)")
                refuse(responsePromise)
            }
        case .password:
            log("refused password login for \(request.username.prefix(64)): only public keys are accepted")
            refuse(responsePromise)
        case .hostBased, .none:
            responsePromise.succeed(.failure)
        }
    }
}
