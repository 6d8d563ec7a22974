import ArgumentParser
import Bundles
import Crypto
import Firmware
import Foundation
import Manifests

/// `midflight fw create|push`: make a signed firmware bundle from a root filesystem image
/// and stream it to a device's `fwup` subsystem.
public struct FirmwareCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fw", abstract: "Create and push signed A/B firmware bundles.",
        subcommands: [Create.self, Push.self])
    public init() {}

    public struct Create: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Sign a root filesystem image into a firmware bundle (.fw).",
            discussion: "--rootfs is the image a slot will hold (ext4, SquashFS). A folder is packed as a ustar archive, the image format of the simulated board.")
        @Option(name: .long, help: "The root filesystem image, or a folder (simulated board).") var rootfs: String
        @Option(name: .long, help: "A board it is for (repeatable).") var board: [String]
        @Option(name: .long, help: "Its version, MAJOR.MINOR.PATCH.") var version: String
        @Option(name: .long, help: "Anti-rollback: boards that validated a higher one refuse it.") var securityVersion = 0
        @Option(name: .long, help: "The oldest agent that may install it.") var minimumAgentVersion = "0.2.0"
        @Option(name: .long, help: "The private signing key.") var key: String = FileManager.default.homeDirectoryForCurrentUser.path + "/.midflight/signing-key"
        @Option(name: [.short, .long], help: "The bundle to write (default: firmware-VERSION.fw).") var output: String?
        public init() {}

        public func run() throws {
            guard let parsedVersion = SemanticVersion(version), let agentVersion = SemanticVersion(minimumAgentVersion) else {
                throw ValidationError("versions are MAJOR.MINOR.PATCH")
            }
            guard !board.isEmpty else { throw ValidationError("name at least one --board") }
            guard securityVersion >= 0 else { throw ValidationError("--security-version must not be negative") }
            let destination = output ?? "firmware-\(version).fw"
            do {
                guard let keyData = FileManager.default.contents(atPath: key) else {
                    throw FirmwareRefusal(.signature, "\(key): cannot read the signing key (create one with `midflight keys generate`)")
                }
                let privateKey: Curve25519.Signing.PrivateKey
                do {
                    privateKey = try SigningKeys.parsePrivate(String(decoding: keyData, as: UTF8.self), file: key)
                } catch {
                    throw FirmwareRefusal(.signature, error.description)
                }
                var image = rootfs
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: rootfs, isDirectory: &isFolder), isFolder.boolValue {
                    image = destination + ".rootfs.tar"
                    try TarArchive.pack(folder: rootfs, to: image)
                }
                defer { if image != rootfs { try? FileManager.default.removeItem(atPath: image) } }
                let manifest = try FirmwareBundle.create(
                    imagePath: image, outputPath: destination, compatible: board, version: parsedVersion,
                    securityVersion: securityVersion, minimumAgentVersion: agentVersion, key: privateKey)
                print("\(destination): firmware \(manifest.version) for \(board.joined(separator: ", ")), rootfs \(manifest.payloadSize) bytes, key \(SigningKeys.id(of: privateKey.publicKey))")
            } catch let refusal as FirmwareRefusal {
                FileHandle.standardError.write(Data("midflight: \(refusal)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    public struct Push: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Stream a firmware bundle to a device's inactive slot (ssh -s DEVICE fwup), with progress.")
        @OptionGroup var device: DeviceOptions
        @Argument(help: "The .fw bundle.") var bundle: String
        @Flag(name: .long, help: "Reboot into it once installed.") var reboot = false
        @Flag(name: .long, help: "Accept a version older than the running one.") var allowDowngrade = false
        public init() {}

        public func run() throws {
            guard let file = FileHandle(forReadingAtPath: bundle) else {
                FileHandle.standardError.write(Data("midflight: cannot read \(bundle)\n".utf8))
                throw ExitCode(1)
            }
            let total = (try? FileManager.default.attributesOfItem(atPath: bundle)[.size] as? Int) ?? 0
            let subsystem = (["fwup"] + (reboot ? ["--reboot"] : []) + (allowDowngrade ? ["--allow-downgrade"] : [])).joined(separator: " ")
            let (process, input) = try device.startUpload(subsystem)
            // SIGPIPE would end us silently if the device refuses early and closes.
            signal(SIGPIPE, SIG_IGN)
            let started = Date()
            var sent = 0
            let progress = ProgressLine(total: total)
            while true {
                let chunk = file.readData(ofLength: 256 << 10)
                if chunk.isEmpty { break }
                do {
                    try input.fileHandleForWriting.write(contentsOf: chunk)
                } catch {
                    break  // The device stopped reading: its report says why.
                }
                sent += chunk.count
                FileHandle.standardError.write(Data(progress.render(sent: sent, elapsed: Date().timeIntervalSince(started)).utf8))
            }
            FileHandle.standardError.write(Data("\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            throw ExitCode(process.terminationStatus)
        }
    }
}

/// `[#####-----]  45%  12.0 of 26.5 MiB  8.1 MiB/s  ETA 2 s`, redrawn in place.
struct ProgressLine {
    let total: Int

    func render(sent: Int, elapsed: Double) -> String {
        let fraction = total > 0 ? min(1, Double(sent) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let rate = Double(sent) / max(elapsed, 0.001)
        let eta = rate > 0 ? Double(max(0, total - sent)) / rate : 0
        let mib = 1_048_576.0
        return "\r[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + String(format: "%3d%%  %.1f of %.1f MiB  %.1f MiB/s  ETA %.0f s ", Int(fraction * 100), Double(sent) / mib,
                Double(total) / mib, rate / mib, eta)
    }
}
