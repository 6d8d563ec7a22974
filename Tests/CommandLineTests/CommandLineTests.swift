import Foundation
import Testing

/// The built executables, run as a person runs them.
enum Executables {
    static let directory: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent()
    }()

    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `name` with `arguments` and optional standard input; kills it after `timeout` seconds.
    static func run(_ name: String, _ arguments: [String], input: String? = nil, timeout: TimeInterval = 30) throws -> Result {
        let process = Process()
        process.executableURL = directory.appendingPathComponent(name)
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let output = Pipe()
        let error = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }
}

@Suite(.serialized) struct CommandLineTests {
    @Test func i2cDumpShowsATickingDS3231() throws {
        let result = try Executables.run(
            "midflight", ["i2c", "dump", "--board", "sim", "1", "0x68", "--range", "0x00-0x12", "--count", "2", "--interval", "1100"])
        #expect(result.status == 0, "\(result.error)")
        let rows = result.output.split(separator: "\n").filter { $0.hasPrefix("00:") }
        #expect(rows.count == 2)
        // The seconds register (first byte) moved on between the two dumps.
        #expect(rows[0].split(separator: " ")[1] != rows[1].split(separator: " ")[1])
        #expect(result.output.contains("10: 00 18 40"))
    }

    @Test func gpioMonShowsTheSimulatedButton() throws {
        let result = try Executables.run("midflight", ["gpio", "mon", "--board", "sim", "gpiochip0", "button", "-n", "4"])
        #expect(result.status == 0, "\(result.error)")
        let events = result.output.split(separator: "\n")
        #expect(events.count == 4)
        #expect(events.first?.hasPrefix("event: FALLING EDGE offset: 17 timestamp: [") == true)
    }

    @Test func scanAndInfoOnTheSimulatedBoard() throws {
        let scan = try Executables.run("midflight", ["i2c", "scan", "--board", "sim", "1"])
        #expect(scan.status == 0)
        #expect(scan.output.contains("60: -- -- -- -- -- -- -- -- 68"))
        let info = try Executables.run("midflight", ["gpio", "info", "--board", "sim", "gpiochip0", "--json"])
        #expect(info.status == 0)
        #expect(info.output.contains(#"{"offset":17,"name":"button","consumer":null,"direction":"input""#))
    }

    @Test(arguments: [
        (["i2c", "scan", "--board", "sim", "9"], Int32(1), "i2c-9: no such device"),
        (["i2c", "get", "--board", "sim", "1", "0x03"], 2, "address 0x03 is reserved"),
        (["i2c", "get", "--board", "sim", "1", "0x50", "0"], 1, "i2c-1@0x50: no acknowledge (NACK)"),
        (["gpio", "get", "--board", "sim", "gpiochip0", "99"], 2, "line offset 99 is beyond the chip (expected 0-31)"),
        (["gpio", "info", "--board", "atari"], 2, "unknown board 'atari' (known boards: qemu-x86_64, raspberrypi4, sim)"),
        (["i2c", "scan", "1", "--board", "/nonexistent"], 2, "no board file at /nonexistent"),
        (["i2c", "scan", "--board", "sim"], 64, "Missing expected argument '<bus>'"),
    ])
    func refusesBadArgumentsWithAReason(arguments: [String], status: Int32, message: String) throws {
        let result = try Executables.run("midflight", arguments)
        #expect(result.status == status)
        #expect(result.error.contains(message), "\(result.error)")
    }

    @Test func withoutABoardTheCommandsUseThisMachinesDev() throws {
        let result = try Executables.run("midflight", ["i2c", "scan", "250"])
        #expect(result.status == 1)
        #expect(result.error.contains("i2c-250: no such device: open /dev/i2c-250"))
    }

    @Test func theAgentRunsTheSimulatedBoardWithAConsole() throws {
        let script = """
            sim status
            i2c get 1 0x68 0x11
            sim press button
            gpio mon gpiochip0 button -n 2
            sim fault timeout i2c-1
            i2c get 1 0x68 0
            nonsense
            exit
            i2c scan 1
            """
        let data = NSTemporaryDirectory() + "midflight-cli-\(getpid())"
        let result = try Executables.run("midflightd", ["--simulate", "--data-dir", data], input: script)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("i2c-1: 0x57 register-file, 0x68 ds3231"))
        #expect(result.output.contains("0x18"))
        #expect(result.output.contains("pressed gpiochip0:\"button\""))
        #expect(result.output.contains("error: i2c-1@0x68: timed out: bus timeout (SDA held low)"))
        #expect(result.output.contains("error: unknown command 'nonsense'; try 'help'"))
        // `exit` leaves: the scan after it never runs.
        #expect(!result.output.contains("70: --"))
        #expect(result.error.contains("board sim (simulated), 4 services"))
    }

    @Test func theAgentRefusesALinuxBoardWhenSimulatingAndAnUnknownBoard() throws {
        let linux = try Executables.run("midflightd", ["--simulate", "--board", "raspberrypi4"])
        #expect(linux.status == 2)
        #expect(linux.error.contains("raspberrypi4 is a Linux board"))
        let unknown = try Executables.run("midflightd", ["--board", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.error.contains("unknown board 'nope'"))
    }

    @Test(arguments: [
        (["contract", "--bus", "0", "--chip", "gpiochip0", "--pull", "/p", "--remove-chip", "/live", "--unprivileged", "65534"],
         "--remove-chip and --unprivileged go in two runs"),
        (["contract", "--bus", "0", "--chip", "gpiochip0", "--pull", "/p", "--latency-module", "m.wasm"], "--latency-module needs --latency-pull"),
        (["contract", "--bus", "0", "--chip", "gpiochip0", "--pull", "/p", "--latency-module", "m.wasm", "--latency-pull", "/q", "--latency-count", "0"],
         "--latency-count must be at least 1"),
        (["contract", "--bus", "0", "--chip", "gpiochip0", "--pull", "/p", "--latency-module", "m.wasm", "--latency-pull", "/q", "--kernel-only"],
         "--latency-module replaces the contract run"),
        (["contract", "--chip", "gpiochip0", "--pull", "/p"], "Missing expected argument '--bus <bus>'"),
    ])
    func theContractRunnerRefusesOptionsThatCannotGoTogether(arguments: [String], message: String) throws {
        let result = try Executables.run("midflightd", arguments)
        #expect(result.status == 64)
        #expect(result.error.contains(message), "\(result.error)")
    }

    @Test func theContractRunnerReportsEachFailedCaseWithoutTheDevices() throws {
        // No i2c-stub or gpio-sim here: every case fails, each named with its reason, and the run fails.
        let result = try Executables.run("midflightd", ["contract", "--bus", "250", "--chip", "gpiochip-none", "--pull", "/nonexistent/pull"])
        #expect(result.status == 1)
        #expect(result.output.contains("FAIL i2c: the seeded device answers a probe; an absent address does not: i2c-250: no such device"), "\(result.output)")
        // Every case starts by reseeding the device, so the GPIO cases fail on the bus too.
        #expect(result.output.contains("FAIL gpio: the chip opens by name and finds its lines by name: i2c-250: no such device"))
        #expect(result.output.contains("contract: 0 passed, 17 failed"))
    }

    @Test func theAgentHasTheHardwareCommandsToo() throws {
        let result = try Executables.run("midflightd", ["i2c", "get", "--board", "sim", "1", "0x68", "0x12"])
        #expect(result.status == 0)
        #expect(result.output == "0x40\n")
    }
}
