#if canImport(Glibc)
import Glibc
#endif
import Agent
import Boards
import Crypto
import NIOSSH
import Platform

/// The server's Ed25519 host key: a raw 32-byte seed in the data directory, created on
/// first start with mode 0600 and kept, so clients can pin it in known_hosts.
public enum HostKey {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The key in `directory`. A missing key is made; a damaged one (empty, truncated, not
    /// a seed) is kept aside as `.damaged` and replaced, loudly, since clients will see a
    /// changed host key: `log` gets the old and new fingerprints.
    public static func loadOrCreate(in directory: String, log: (String) -> Void = { _ in }) throws(Failure) -> NIOSSHPrivateKey {
        let path = directory + "/ssh_host_ed25519_key"
        let publicPath = path + ".pub"
        var damaged: String?
        if FileSystem.exists(path) {
            // A key that cannot be read now (permissions, I/O) is not damaged: say so, keep it.
            let seed: [UInt8]
            do {
                seed = try FileSystem.read(path, limit: 1 << 20)
            } catch {
                throw Failure(description: "cannot read the host key: \(error)")
            }
            if seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) {
                let hostKey = NIOSSHPrivateKey(ed25519Key: key)
                if !FileSystem.exists(publicPath) { try? writePublic(hostKey, to: publicPath) }
                return hostKey
            }
            let was = "\(seed.count) bytes"
            let old = (try? FileSystem.read(publicPath, limit: 4096)).flatMap {
                AuthorizedKeys.fingerprint(openSSH: String(decoding: $0, as: UTF8.self))
            }
            damaged = "\(path) was damaged (\(was), not a 32-byte Ed25519 seed; old key \(old ?? "fingerprint unknown"))"
            rename(path, path + ".damaged")
        }
        let key = Curve25519.Signing.PrivateKey()
        let previous = umask(0o077)
        defer { umask(previous) }
        do {
            try DataStore.writeAtomically(Array(key.rawRepresentation), to: path)
        } catch {
            throw Failure(description: "cannot store the host key: \(error)")
        }
        chmod(path, 0o600)
        // Read back: a key that did not reach the disk intact would change at the next start.
        guard (try? FileSystem.read(path, limit: 64)) == Array(key.rawRepresentation) else {
            throw Failure(description: "the host key written to \(path) does not read back intact")
        }
        let hostKey = NIOSSHPrivateKey(ed25519Key: key)
        try? writePublic(hostKey, to: publicPath)
        let fingerprint = AuthorizedKeys.fingerprint(hostKey.publicKey)
        if let damaged {
            log("SSH HOST KEY REPLACED: \(damaged); the new key is \(fingerprint): clients will warn that the host key changed")
        } else {
            log("SSH host key created: \(fingerprint)")
        }
        return hostKey
    }

    private static func writePublic(_ key: NIOSSHPrivateKey, to path: String) throws(DataStore.Failure) {
        try DataStore.writeAtomically(Array((String(openSSHPublicKey: key.publicKey) + " midflight host key\n").utf8), to: path)
    }
}
