#if canImport(Glibc)
import Glibc
#endif
import Agent
import Boards
import Crypto
import NIOSSH

/// The server's Ed25519 host key: a raw 32-byte seed in the data directory, created on
/// first start with mode 0600 and kept, so clients can pin it in known_hosts.
public enum HostKey {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func loadOrCreate(in directory: String) throws(Failure) -> NIOSSHPrivateKey {
        let path = directory + "/ssh_host_ed25519_key"
        if FileSystem.exists(path) {
            let seed: [UInt8]
            do {
                seed = try FileSystem.read(path, limit: 64)
            } catch {
                throw Failure(description: "\(error)")
            }
            guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
                throw Failure(description: "\(path) is not a 32-byte Ed25519 seed; move it away to make a new host key")
            }
            return NIOSSHPrivateKey(ed25519Key: key)
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
        return NIOSSHPrivateKey(ed25519Key: key)
    }
}
