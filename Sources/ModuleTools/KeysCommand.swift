#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Bundles
import Crypto
import Foundation
import Platform

/// `midflight keys generate`: a bundle-signing key pair.
public struct KeysCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage bundle-signing keys.", subcommands: [Generate.self])
    public init() {}

    public struct Generate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 signing key: NAME (private, mode 0600) and NAME.pub (for the board's trusted-keys folder).")
        @Option(name: .long, help: "Folder for the key files.") var directory: String = FileManager.default.homeDirectoryForCurrentUser.path + "/.midflight"
        @Option(name: .long, help: "File name of the key.") var name: String = "signing-key"
        @Option(name: .long, help: "Comment in the public key.") var comment: String = "midflight"
        public init() {}

        public func run() throws {
            guard !name.isEmpty, !name.contains("/") else {
                FileHandle.standardError.write(Data("midflight: --name must be a file name\n".utf8))
                throw ExitCode(2)
            }
            let privatePath = directory + "/" + name
            guard !FileManager.default.fileExists(atPath: privatePath) else {
                FileHandle.standardError.write(Data("midflight: \(privatePath) exists; not overwriting a key\n".utf8))
                throw ExitCode(1)
            }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let key = Curve25519.Signing.PrivateKey()
                // Created 0600 from the start: the key is never readable by others, not even briefly.
                let fd = open(privatePath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission) }
                let text = Array(SigningKeys.privateText(key).utf8)
                _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                try SigningKeys.publicText(key.publicKey, comment: comment).write(toFile: privatePath + ".pub", atomically: true, encoding: .utf8)
                print("key \(SigningKeys.id(of: key.publicKey)): \(privatePath) (private), \(privatePath).pub (copy to the board's /etc/midflight/trusted-keys/)")
            } catch {
                FileHandle.standardError.write(Data("midflight: cannot write the key: \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

/// `midflight module sign`: a signed bundle from a built module or a module folder.
public struct SignCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a module (.wasm, or a folder, built first) into a bundle (.mfb).")
    @Argument(help: "A built .wasm or a module folder.") var input: String
    @Option(name: .long, help: "The private signing key.") var key: String = FileManager.default.homeDirectoryForCurrentUser.path + "/.midflight/signing-key"
    @Option(name: [.customShort("o"), .long], help: "Output bundle (default NAME-VERSION.mfb beside the wasm).") var output: String?
    public init() {}

    public func run() throws {
        do {
            let path = try SignCommand.sign(input: input, key: key, output: output)
            print(path)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Builds (for a folder) and signs; returns the bundle's path.
    public static func sign(input: String, key keyPath: String, output: String?) throws -> String {
        var isDirectory: ObjCBool = false
        var wasmPath = input
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
            wasmPath = try ModuleBuilder.standard().build(input).path
        }
        let wasm = try FileSystem.read(wasmPath, limit: ModuleBundle.maximumSize)
        let keyText: [UInt8]
        do {
            keyText = try FileSystem.read(keyPath, limit: 64 << 10)
        } catch {
            throw FileSystem.Failure(path: keyPath, reason: "cannot read the signing key (\(error.reason); create one with `midflight keys generate`)")
        }
        let key = try SigningKeys.parsePrivate(String(decoding: keyText, as: UTF8.self), file: keyPath)
        let bundle = try ModuleBundle.create(wasm: wasm, key: key)
        let destination = output ?? (wasmPath.hasSuffix(".wasm") ? String(wasmPath.dropLast(5)) : wasmPath) + ".mfb"
        try FileSystem.writeAtomically(bundle, to: destination)
        return destination
    }
}
