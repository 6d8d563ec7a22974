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

    let authorized: AuthorizedKeys
    let log: @Sendable (String) -> Void
    private let failures = Atomic(0)
    /// Whether this connection has logged in (checked by the login time limit).
    let authenticated = Atomic(false)
    private let connection: Channel

    init(authorized: AuthorizedKeys, connection: Channel, log: @escaping @Sendable (String) -> Void) {
        self.authorized = authorized
        self.connection = connection
        self.log = log
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
            if authorized.keys.contains(offered.publicKey) {
                authenticated.store(true, ordering: .releasing)
                responsePromise.succeed(.success)
            } else {
                let text = String(openSSHPublicKey: offered.publicKey)
                log("refused key for \(request.username): \(text.prefix(60))… (not in authorized_keys)")
                refuse(responsePromise)
            }
        case .password:
            log("refused password login for \(request.username): only public keys are accepted")
            refuse(responsePromise)
        case .hostBased, .none:
            responsePromise.succeed(.failure)
        }
    }
}
