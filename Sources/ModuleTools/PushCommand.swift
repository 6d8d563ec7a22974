import ArgumentParser
import Foundation

/// Options for reaching a device through the system's OpenSSH client, so ~/.ssh/config,
/// agents and known_hosts apply as usual.
public struct DeviceOptions: ParsableArguments {
    @Argument(help: "The device: a host, user@host, or a Host from ~/.ssh/config.") var device: String
    @Option(name: [.customShort("p"), .long], help: "SSH port (default: ssh's, from ~/.ssh/config).") var port: Int?
    @Option(name: [.customShort("i"), .long], help: "SSH identity file.") var identity: String?
    @Option(name: [.customShort("o"), .long], help: "Extra ssh -o options (repeatable).") var sshOption: [String] = []
    public init() {}

    /// Starts `ssh DEVICE UPLOAD` (`module-push …` or `fwup …`) with a pipe on its standard
    /// input; a failure to start is reported and becomes exit status 1. A command, not a
    /// subsystem: a board's own sshd runs it through `midflight-shell` without a
    /// `Subsystem` line, whatever the options (subsystem names are matched whole).
    func startUpload(_ command: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ssh"] + sshArguments + [device, command]
        let input = Pipe()
        process.standardInput = input
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("midflight: cannot run ssh: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        return (process, input)
    }

    var sshArguments: [String] {
        var arguments: [String] = []
        if let port { arguments += ["-p", String(port)] }
        if let identity { arguments += ["-i", identity] }
        for option in sshOption { arguments += ["-o", option] }
        return arguments
    }
}

/// `midflight push DEVICE DIR|WASM|BUNDLE`: build if needed, sign if needed, stream the
/// bundle to the device's `module-push`, and show its one-line report.
public struct PushCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push a module to a device (build and sign as needed) and hot-swap it there.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "A module folder, a built .wasm, or a signed .mfb.") var module: String
    @Option(name: .long, help: "The private signing key.") var key: String = FileManager.default.homeDirectoryForCurrentUser.path + "/.midflight/signing-key"
    @Flag(name: .long, help: "Allow a version that is not newer than the running one.") var allowDowngrade = false
    @Flag(name: .long, help: "Return at the switch instead of waiting for the probation verdict (a rollback is then not reported).")
    var noWait = false
    public init() {}

    public func run() throws {
        let bundlePath: String
        do {
            bundlePath = module.hasSuffix(".mfb") ? module : try SignCommand.sign(input: module, key: key, output: nil)
        } catch {
            FileHandle.standardError.write(Data("midflight: \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard let bundle = FileManager.default.contents(atPath: bundlePath) else {
            FileHandle.standardError.write(Data("midflight: cannot read \(bundlePath)\n".utf8))
            throw ExitCode(1)
        }
        let options = (allowDowngrade ? " --allow-downgrade" : "") + (noWait ? " --no-wait" : "")
        let (process, input) = try device.startUpload("module-push" + options)
        // Stream in chunks with progress on stderr; the device's report arrives on our stdout/stderr.
        let chunk = 64 * 1024
        var sent = 0
        let started = Date()
        while sent < bundle.count {
            let end = min(sent + chunk, bundle.count)
            input.fileHandleForWriting.write(bundle.subdata(in: sent..<end))
            sent = end
            let percent = sent * 100 / max(bundle.count, 1)
            let rate = Double(sent) / max(Date().timeIntervalSince(started), 0.001) / 1024
            FileHandle.standardError.write(Data("\rpushing \(bundlePath): \(percent)% of \(bundle.count) bytes, \(Int(rate)) KiB/s".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        throw ExitCode(process.terminationStatus)
    }
}

/// `midflight console DEVICE`: the device's interactive console through ssh.
public struct ConsoleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "console", abstract: "Open the device's console (ssh -t).")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "A command to run instead of the interactive console.") var command: [String] = []
    public init() {}

    public func run() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ssh"] + (command.isEmpty ? ["-t"] : []) + device.sshArguments + [device.device] + (command.isEmpty ? [] : [command.joined(separator: " ")])
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("midflight: cannot run ssh: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        process.waitUntilExit()
        throw ExitCode(process.terminationStatus)
    }
}
