import Foundation

/// What a finished program said.
struct ProcessOutput {
    var status: Int32
    var output: String
    var error: String
}

/// Runs a program (through /usr/bin/env) with optional standard input, capturing its output;
/// one that hangs past `timeout` is terminated, failing its test instead of the whole run.
@discardableResult
func run(_ arguments: [String], input: Data? = nil, environment: [String: String]? = nil, timeout: TimeInterval = 60) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
}
