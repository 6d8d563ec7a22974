import Hardware

/// The hardware contract: the behaviour every backend must show, run against the
/// simulated board in every CI run and against real i2c-stub / gpio-sim in QEMU.
public enum ContractSuite {
    /// DS3231-like registers 0x00–0x12: 2026-11-23 17:30:05, Monday, control 0x1C,
    /// status 0x00, aging 0, temperature 24.25 °C. Seeded into i2c-stub in the VM.
    public static let seed: [UInt8] = [
        0x05, 0x30, 0x17, 0x01, 0x23, 0x11, 0x26, 0, 0, 0, 0, 0, 0, 0, 0x1C, 0x00, 0x00, 0x18, 0x40,
    ]

    /// One named check.
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (any ContractFixture) throws -> Void

        public var description: String { name }

        public func run(_ fixture: any ContractFixture) throws {
            try fixture.reseed()
            try body(fixture)
        }
    }

    public static let cases: [Case] = i2cCases + gpioCases

    /// Runs every case, reporting each; returns (passed, failed).
    public static func runAll(_ fixture: any ContractFixture, report: (String, (any Error)?) -> Void) -> (Int, Int) {
        var passed = 0
        var failed = 0
        for contractCase in cases {
            do {
                try contractCase.run(fixture)
                passed += 1
                report(contractCase.name, nil)
            } catch {
                failed += 1
                report(contractCase.name, error)
            }
        }
        return (passed, failed)
    }

    static let i2cCases: [Case] = [
        Case(name: "i2c: the seeded device answers a probe; an absent address does not") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            try require(try bus.probe(fixture.device), "probe of \(fixture.device) found nothing")
            try require(try !bus.probe(fixture.absentAddress), "probe of \(fixture.absentAddress) found a device")
        },
        Case(name: "i2c: byte-data reads return the seeded registers") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            for (register, expected) in seed.enumerated() {
                let value = try bus.readByte(from: fixture.device, register: UInt8(register))
                try require(value == expected, "register \(register) read \(value), expected \(expected)")
            }
        },
        Case(name: "i2c: an i2c-block read equals the byte reads") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            let block = try bus.readBlock(from: fixture.device, register: 0, count: 7)
            try require(block == Array(seed.prefix(7)), "block read \(block), expected \(Array(seed.prefix(7)))")
        },
        Case(name: "i2c: writes read back, bytes, words (low byte first) and blocks") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            try bus.writeByte(0xA5, to: fixture.device, register: 0x40)
            try require(try bus.readByte(from: fixture.device, register: 0x40) == 0xA5, "byte did not read back")
            try bus.writeWord(0x1234, to: fixture.device, register: 0x42)
            try require(try bus.readByte(from: fixture.device, register: 0x42) == 0x34, "word low byte not first")
            try require(try bus.readWord(from: fixture.device, register: 0x42) == 0x1234, "word did not read back")
            let bytes: [UInt8] = Array(0..<32)
            try bus.writeBlock(bytes, to: fixture.device, register: 0x50)
            try require(try bus.readBlock(from: fixture.device, register: 0x50, count: 32) == bytes, "block did not read back")
        },
        Case(name: "i2c: a write-then-read either works or is reported unsupported") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            do {
                let bytes = try bus.writeRead([0x00], to: fixture.device, readCount: 2)
                try require(bytes == Array(seed.prefix(2)), "write-read returned \(bytes)")
            } catch let error as HardwareError where error.kind == .unsupported {
                // i2c-stub speaks SMBus only: I2C_RDWR is EOPNOTSUPP there.
            }
        },
        Case(name: "i2c: an absent address fails as a NACK naming the address") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            try requireError(
                "read from \(fixture.absentAddress)",
                { $0.kind == .nack && $0.resource == bus.resource(fixture.absentAddress) }
            ) { _ = try bus.readByte(from: fixture.absentAddress, register: 0) }
        },
        Case(name: "i2c: a missing bus is noDevice naming the bus") { fixture in
            try requireError("open i2c-999", { $0.kind == .noDevice && $0.resource == .i2cBus(999) }) {
                _ = try fixture.backend.i2cBus(999)
            }
        },
        Case(name: "i2c: block lengths beyond SMBus are refused before any transfer") { fixture in
            let bus = try fixture.backend.i2cBus(fixture.bus)
            try requireError("33-byte block", { $0.kind == .invalidArgument }) {
                _ = try bus.readBlock(from: fixture.device, register: 0, count: 33)
            }
        },
    ]

    static let gpioCases: [Case] = [
        Case(name: "gpio: the chip opens by name and finds its lines by name") { fixture in
            let chip = try fixture.backend.gpioChip(fixture.chip)
            try require(chip.info.lineCount > max(fixture.drivenLine, fixture.outputLine), "chip too small")
            try require(
                try chip.offset(ofLineNamed: fixture.drivenLineName) == fixture.drivenLine,
                "line \"\(fixture.drivenLineName)\" not found at \(fixture.drivenLine)")
            try require(try chip.offset(ofLineNamed: "no-such-line-xyz") == nil, "found a line that does not exist")
        },
        Case(name: "gpio: a driven input reads the level it is driven to") { fixture in
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let line = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .none, bias: .asIs)
            defer { line.release() }
            try fixture.drive(true)
            try require(try line.read(), "driven high, read low")
            try fixture.drive(false)
            try require(try !line.read(), "driven low, read high")
        },
        Case(name: "gpio: edges arrive in order with rising timestamps") { fixture in
            try fixture.drive(false)
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let line = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .both, bias: .asIs)
            defer { line.release() }
            var events: [GPIOEdgeEvent] = []
            for level in [true, false, true, false] {
                try fixture.drive(level)
                events += try line.waitForEdges(timeoutNanoseconds: 1_000_000_000)
            }
            try require(events.map(\.edge) == [.rising, .falling, .rising, .falling], "edges were \(events.map(\.edge))")
            try require(
                zip(events, events.dropFirst()).allSatisfy { $0.timestampNanoseconds <= $1.timestampNanoseconds },
                "timestamps went backwards")
            try require(events.allSatisfy { $0.offset == fixture.drivenLine }, "event on the wrong line")
        },
        Case(name: "gpio: rising-only detection reports no falling edge") { fixture in
            try fixture.drive(false)
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let line = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .rising, bias: .asIs)
            defer { line.release() }
            try fixture.drive(true)
            try fixture.drive(false)
            var events = try line.waitForEdges(timeoutNanoseconds: 1_000_000_000)
            events += try line.waitForEdges(timeoutNanoseconds: 100_000_000)
            try require(events.map(\.edge) == [.rising], "edges were \(events.map(\.edge))")
        },
        Case(name: "gpio: a quiet line times out with no events") { fixture in
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let line = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .both, bias: .asIs)
            defer { line.release() }
            try require(try line.waitForEdges(timeoutNanoseconds: 50_000_000).isEmpty, "events on a quiet line")
        },
        Case(name: "gpio: an output reads back what it drives") { fixture in
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let line = try chip.requestOutput(fixture.outputLine, consumer: "contract", initialValue: true)
            defer { line.release() }
            try require(try line.read(), "output high reads low")
            try line.write(false)
            try require(try !line.read(), "output low reads high")
            try require(try chip.lineInfo(fixture.outputLine).direction == .output, "line info not output")
        },
        Case(name: "gpio: a held line is busy for a second request, free after release") { fixture in
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let first = try chip.requestOutput(fixture.outputLine, consumer: "contract-a", initialValue: false)
            try require(try chip.lineInfo(fixture.outputLine).consumer == "contract-a", "consumer not shown")
            try requireError("second request", { $0.kind == .busy }) {
                _ = try chip.requestInput(fixture.outputLine, consumer: "contract-b", edges: .none, bias: .asIs)
            }
            first.release()
            let second = try chip.requestInput(fixture.outputLine, consumer: "contract-b", edges: .none, bias: .asIs)
            second.release()
            try requireError("use after release", { $0.kind == .invalidArgument }) { _ = try first.read() }
        },
        Case(name: "gpio: edge detection is re-armed after a release and a new request") { fixture in
            try fixture.drive(false)
            let chip = try fixture.backend.gpioChip(fixture.chip)
            let first = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .both, bias: .asIs)
            first.release()
            let again = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .both, bias: .asIs)
            defer { again.release() }
            try fixture.drive(true)
            try require(try again.waitForEdges(timeoutNanoseconds: 1_000_000_000).map(\.edge) == [.rising], "no edge after re-request")
        },
        Case(name: "gpio: refusals name the chip or line") { fixture in
            let chip = try fixture.backend.gpioChip(fixture.chip)
            try requireError("offset beyond chip", { $0.kind == .invalidArgument && $0.resource == .gpioChip(chip.info.name) }) {
                _ = try chip.requestInput(chip.info.lineCount, consumer: "contract", edges: .none, bias: .asIs)
            }
            let input = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .none, bias: .asIs)
            defer { input.release() }
            try requireError("write to an input", { $0.kind == .invalidArgument }) { try input.write(true) }
            try requireError("wait without edge detection", { $0.kind == .invalidArgument }) {
                _ = try input.waitForEdges(timeoutNanoseconds: 0)
            }
            try requireError("unknown chip", { $0.kind == .noDevice }) {
                _ = try fixture.backend.gpioChip("gpiochip-none")
            }
        },
    ]
}
