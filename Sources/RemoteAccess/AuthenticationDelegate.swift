import NIOCore
import NIOSSH

/// Public-key authentication against the authorized keys; passwords and
/// keyboard-interactive are refused. Refusals are logged with the key's fingerprint on the
/// device (the client only sees "Permission denied (publickey)").
final class AuthenticationDelegate: NIOSSHServerUserAuthenticationDelegate, Sendable {
    let authorized: AuthorizedKeys
    let log: @Sendable (String) -> Void

    init(authorized: AuthorizedKeys, log: @escaping @Sendable (String) -> Void) {
        self.authorized = authorized
        self.log = log
    }

    var supportedAuthenticationMethods: NIOSSHAvailableUserAuthenticationMethods { .publicKey }

    func requestReceived(
        request: NIOSSHUserAuthenticationRequest, responsePromise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>
    ) {
        switch request.request {
        case .publicKey(let offered):
            if authorized.keys.contains(offered.publicKey) {
                responsePromise.succeed(.success)
            } else {
                let text = String(openSSHPublicKey: offered.publicKey)
                log("refused key for \(request.username): \(text.prefix(60))… (not in authorized_keys)")
                responsePromise.succeed(.failure)
            }
        case .password:
            log("refused password login for \(request.username): only public keys are accepted")
            responsePromise.succeed(.failure)
        case .hostBased, .none:
            responsePromise.succeed(.failure)
        }
    }
}
