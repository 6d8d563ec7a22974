import Crypto
import NIOSSH
import RemoteAccess
import Testing

/// authorized_keys options, enforced or refused, never skipped.
@Suite struct AuthorizedKeysTests {
    let key = NIOSSHPrivateKey(ed25519Key: Curve25519.Signing.PrivateKey()).publicKey
    var text: String { String(openSSHPublicKey: key) }

    @Test func aPlainKeyLogsInFromAnywhereWithATerminal() {
        let keys = AuthorizedKeys(text: text + " laptop\n", file: "authorized_keys")
        #expect(keys.problems.isEmpty)
        #expect(keys.allows(key, from: "203.0.113.9"))
        #expect(keys.entries[key]?.allowsPty == true)
    }

    @Test(arguments: [
        (#"from="10.0.0.0/8""#, "10.1.2.3", true), (#"from="10.0.0.0/8""#, "127.0.0.1", false),
        (#"from="192.168.1.?,127.*""#, "192.168.1.7", true), (#"from="192.168.1.?,127.*""#, "192.168.1.70", false),
        (#"from="127.0.0.0/8,!127.0.0.2""#, "127.0.0.2", false), (#"from="127.0.0.0/8,!127.0.0.2""#, "127.0.0.1", true),
        (#"from="*,!10.0.0.0/8""#, "10.9.9.9", false), (#"from="0.0.0.0/0""#, "8.8.8.8", true),
        // An IPv4 client on a dual-stack socket is matched as its IPv4 address.
        (#"from="*,!10.0.0.0/8""#, "::ffff:10.9.9.9", false), (#"from="10.1.2.3""#, "::FFFF:10.1.2.3", true),
        // An address that is not known matches nothing, not even `*`.
        (#"from="*""#, "?", false),
    ])
    func fromIsEnforced(options: String, address: String, allowed: Bool) {
        let keys = AuthorizedKeys(text: options + " " + text, file: "authorized_keys")
        #expect(keys.problems.isEmpty, "\(keys.problems)")
        #expect(keys.allows(key, from: address) == allowed)
    }

    @Test func restrictAndNoPtyTakeTheTerminal() {
        #expect(AuthorizedKeys(text: "no-pty " + text, file: "k").entries[key]?.allowsPty == false)
        #expect(AuthorizedKeys(text: "restrict " + text, file: "k").entries[key]?.allowsPty == false)
        #expect(AuthorizedKeys(text: "restrict,pty " + text, file: "k").entries[key]?.allowsPty == true)
        #expect(AuthorizedKeys(text: "no-port-forwarding,no-agent-forwarding " + text, file: "k").entries[key]?.allowsPty == true)
    }

    @Test(arguments: [
        (#"command="/bin/date""#, "option command is not implemented by this server"),
        (#"expiry-time="20300101""#, "option expiry-time is not implemented by this server"),
        (#"from="10.0.0.0/99""#, "has a pattern this server cannot read"),
        (#"from=10.0.0.1"#, "from= needs a quoted pattern list"),
        (#"from="10.0.0.1"#, "the options do not parse"),
        (#"from="*,!*.evil.example""#, "has a pattern this server cannot read"),
        (#"from="10.0.0.1-10.0.0.5""#, "has a pattern this server cannot read"),
        (#"from="10.0.0.1",from="192.168.1.5""#, "more than one from="),
    ])
    func whatCannotBeEnforcedRefusesTheKey(options: String, problem: String) {
        let keys = AuthorizedKeys(text: options + " " + text, file: "authorized_keys")
        #expect(keys.entries.isEmpty)
        #expect(keys.problems.count == 1 && keys.problems[0].hasPrefix("authorized_keys:1: ") && keys.problems[0].contains(problem), "\(keys.problems)")
        #expect(keys.problems[0].hasSuffix("key refused") || problem == "the options do not parse")
    }

    @Test func theFirstLineOfAKeyHolds() {
        let keys = AuthorizedKeys(text: "restrict " + text + "\n" + text + "\n", file: "authorized_keys")
        #expect(keys.entries[key]?.allowsPty == false)
        #expect(keys.problems == ["authorized_keys:2: this key is on an earlier line too; that line's options hold"])
    }
}
