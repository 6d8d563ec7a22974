import Foundation

/// `midflightd` running with its console on pipes: send lines, wait for output.
final class ConsoleSession: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var outputText = ""
    private var errorText = ""

    static var executables: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    init(arguments: [String]) throws {
        process.executableURL = ConsoleSession.executables.appendingPathComponent("midflightd")
        process.arguments = arguments
        process.currentDirectoryURL = ConsoleSession.repository
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.lock.withLock { self?.outputText += text }
        }
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.lock.withLock { self?.errorText += text }
        }
        try process.run()
    }

    var stdout: String { lock.withLock { outputText } }
    var stderr: String { lock.withLock { errorText } }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits until `text` appears in the output after `offset`; returns the output from there.
    @discardableResult
    func waitFor(_ text: String, in stream: KeyPath<ConsoleSession, String> = \.stdout, after offset: Int = 0, timeout: TimeInterval = 20) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let all = self[keyPath: stream]
            let tail = String(all.dropFirst(offset))
            if tail.contains(text) { return tail }
            usleep(20_000)
        }
        return nil
    }

    /// Runs one command and returns its output (everything new until `until` shows up).
    func run(_ command: String, until: String, timeout: TimeInterval = 20) -> String {
        let offset = stdout.count
        send(command)
        return waitFor(until, after: offset, timeout: timeout) ?? "(timed out waiting for \(until)) " + String(stdout.dropFirst(offset))
    }

    func finish() {
        send("exit")
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
