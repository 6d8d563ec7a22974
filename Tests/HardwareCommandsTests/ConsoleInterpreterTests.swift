import Hardware
import HardwareCommands
import SimulatedHardware
import Synchronization
import Testing

/// A console on a simulated board under the test clock, with its output captured.
final class ConsoleHarness: Sendable {
    let board: SimulatedBoard
    let clock = ManualClock()
    private let lines = Mutex<[String]>([])

    init() {
        board = SimulatedBoard(
            SimulatedBoardSpec(
                name: "console",
                buses: [
                    .init(
                        number: 1,
                        devices: [.init(address: 0x68, model: .ds3231(.init(time: .unixSeconds(1_795_455_005)), temperature: 24.25))])
                ],
                chips: [
                    .init(
                        name: "gpiochip0", label: "console", lineCount: 32,
                        lines: [
                            .init(offset: 17, name: "button", drive: .button(.init(holdMilliseconds: 50, bounces: 1))),
                            .init(offset: 27, name: "pulse", drive: .pulses(hertz: 4)),
                        ])
                ]),
            clock: clock)
    }

    /// Runs one line; returns its status and the output it wrote.
    func run(_ line: String) -> (Int32, String) {
        lines.withLock { $0.removeAll() }
        let context = CommandContext(
            backend: board, allowsBoardSelection: false, output: { text in self.lines.withLock { $0.append(text) } },
            sleep: { self.board.advanceClock(byNanoseconds: $0) })
        let status = ConsoleInterpreter(context: context).execute(line)
        return (status, lines.withLock { $0.joined(separator: "\n") })
    }
}

@Suite struct ConsoleInterpreterTests {
    @Test func scansAndReadsTheRTC() {
        let console = ConsoleHarness()
        let (status, output) = console.run("i2c scan 1")
        #expect(status == 0)
        #expect(output.contains("60: -- -- -- -- -- -- -- -- 68"))
        #expect(console.run("i2c get 1 0x68 0x11") == (0, "0x18"))
        #expect(console.run("i2c get 1 0x68 0x11 --json") == (0, #"{"value":24,"hex":"0x18"}"#))
    }

    @Test func dumpWatchesTheClockTick() {
        let console = ConsoleHarness()
        let (status, output) = console.run("i2c dump 1 0x68 --range 0x00-0x02 --count 2 --interval 1000")
        #expect(status == 0)
        let rows = output.split(separator: "\n").filter { $0.hasPrefix("00:") }
        #expect(rows.count == 2)
        #expect(rows[0] != rows[1])
    }

    @Test func setWritesARegister() {
        let console = ConsoleHarness()
        #expect(console.run("i2c set 1 0x68 0x10 0x05").0 == 0)
        #expect(console.run("i2c get 1 0x68 0x10") == (0, "0x05"))
    }

    @Test func monitorsAPressedButton() {
        let console = ConsoleHarness()
        #expect(console.run("sim press button").0 == 0)
        let (status, output) = console.run("gpio mon gpiochip0 button -n 4")
        #expect(status == 0)
        #expect(output.split(separator: "\n").count == 4)
        // The press began before the monitor asked for the line: it sees the bounce onwards.
        #expect(output.split(separator: "\n").allSatisfy { $0.contains("EDGE offset: 17 timestamp: [") })
    }

    @Test func faultsShowUpInCommandsAndClear() {
        let console = ConsoleHarness()
        #expect(console.run("sim fault nack i2c-1@0x68") == (0, "fault on: nack i2c-1@0x68"))
        let (status, output) = console.run("i2c get 1 0x68 0")
        #expect(status == 1)
        #expect(output == "error: i2c-1@0x68: no acknowledge (NACK): no device acknowledged the address")
        #expect(console.run("sim status").1.contains("faults: nack i2c-1@0x68"))
        #expect(console.run("sim clear all").0 == 0)
        #expect(console.run("i2c get 1 0x68 0").0 == 0)
        #expect(console.run("sim fault stuck gpiochip0:pulse 1").0 == 0)
        #expect(console.run("gpio get gpiochip0 pulse") == (0, "1"))
    }

    @Test func rtcPowerLossIsVisible() {
        let console = ConsoleHarness()
        #expect(console.run("sim rtc").1 == "i2c-1@0x68: 2026-11-23 17:30:05")
        #expect(console.run("sim rtc power-loss").0 == 0)
        #expect(console.run("sim rtc").1.contains("oscillator-stop flag set"))
        #expect(console.run("i2c get 1 0x68 0x0f") == (0, "0x88"))
    }

    @Test(arguments: [
        ("frobnicate", 2, "error: unknown command 'frobnicate'; try 'help'"),
        ("i2c scan", 2, "error: Missing expected argument '<bus>'"),
        ("i2c get 1 0x78", 2, "error: i2c-1: invalid argument: address 0x78 is reserved"),
        ("i2c get 1 0x68 0x100", 2, "error: register '0x100' is not 0x00-0xff"),
        ("i2c scan 5", 1, "error: i2c-5: no such device: the console board has buses i2c-1"),
        ("i2c scan --board sim 1", 2, "error: --board is not available here"),
        ("i2c dump 1 0x68 --range 0x20-0x10", 2, "error: range '0x20-0x10' is not FIRST-LAST"),
        ("gpio get gpiochip0 40", 2, "error: gpiochip0: invalid argument: line offset 40 is beyond the chip (expected 0-31)"),
        ("gpio get gpiochip0 nosuch", 1, "error: gpiochip0: no such device: no line named \"nosuch\""),
        ("gpio get gpiochip7 1", 1, "error: gpiochip7: no such device"),
        ("gpio set gpiochip0 3=7", 2, "error: gpiochip0: invalid argument: '3=7' is not LINE=0 or LINE=1"),
        ("gpio mon gpiochip0 pulse --edges sideways", 2, "error: --edges must be rising, falling or both"),
        ("sim fault melt i2c-1@0x68", 2, "error: unknown fault 'melt'"),
        ("sim fault nack i2c-1@0x50", 1, "error: i2c-1@0x50: no such device: no simulated device there"),
        ("sim pulse pulse 200000", 2, "error: gpiochip0:27: invalid argument: pulse rate 200000.0 Hz is outside 0.001-100000 (or 0 to stop)"),
        ("sim rtc melt", 2, "error: unknown action 'melt'"),
        ("sim rtc --device i2c-1@0x03", 2, "error: 'i2c-1@0x03' is not a device"),
        ("sim press button --hold-ms 0", 2, "error: gpiochip0:17: invalid argument: hold must be 1-60000 ms"),
        ("i2c get 1 0x68 --width w", 2, "error: i2c-1@0x68: invalid argument: a word read needs a register"),
        ("i2c scan 2000", 2, "error: bus 2000 is out of range (expected 0-1023)"),
        ("i2c get 1 \"0x68", 2, "error: unterminated quote"),
    ])
    func refusesWithAOneLineReason(line: String, status: Int32, message: String) {
        let (actual, output) = ConsoleHarness().run(line)
        #expect(actual == status)
        #expect(output.hasPrefix(message), "\(output)")
    }

    @Test func helpListsCommandsAndExplainsOne() {
        let console = ConsoleHarness()
        #expect(console.run("help").1.contains("sim   Drive the simulated board"))
        #expect(console.run("help i2c dump").1.contains("USAGE: i2c dump"))
        #expect(console.run("gpio mon --help").1.contains("Wait for edges on lines (gpiomon)."))
        #expect(console.run("help nothing").0 == 2)
        #expect(console.run("").0 == 0)
    }

    @Test func splitsWordsWithQuotesAndEscapes() throws {
        #expect(try ConsoleInterpreter.split(#"sim  press "my button" --hold-ms\ 5"#) == ["sim", "press", "my button", "--hold-ms 5"])
        #expect(try ConsoleInterpreter.split("a ''") == ["a", ""])
        #expect(throws: CommandFailure.self) { try ConsoleInterpreter.split("a \\") }
    }
}
