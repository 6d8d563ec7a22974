import ArgumentParser
import Hardware
import HardwareTools

/// `i2c scan|get|set|dump`: i2c-tools for any board.
public struct I2CCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "i2c",
        abstract: "Inspect and poke I2C buses (like i2cdetect, i2cget, i2cset, i2cdump).",
        subcommands: [Scan.self, Get.self, Set.self, Dump.self])

    public init() {}

    public struct Scan: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show which addresses answer on a bus (i2cdetect).")
        @OptionGroup public var options: BoardOptions
        @Argument(help: "Bus number N of i2c-N.") var bus: Int

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let number = try ArgumentParsing.bus(bus)
            let results = try I2CTool(backend: context.backend).scan(bus: number)
            emit(context, json: I2CTool.scanJSON(bus: number, results), text: I2CTool.formatScan(results))
        }
    }

    public struct Get: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Read a register (or the current byte) of a device (i2cget).")
        @OptionGroup public var options: BoardOptions
        @Argument(help: "Bus number.") var bus: Int
        @Argument(help: "Device address, 0x08-0x77.") var address: String
        @Argument(help: "Register, 0x00-0xff; without it, read the byte at the device's pointer.") var register: String?
        @Option(name: .long, help: "b: byte (default), w: word, low byte first.") var width: String = "b"

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let number = try ArgumentParsing.bus(bus)
            let target = try ArgumentParsing.address(address, bus: number)
            let mode = try ArgumentParsing.width(width)
            let value = try I2CTool(backend: context.backend).get(
                bus: number, address: target, register: try register.map(ArgumentParsing.register), width: mode)
            let text = hex(value, digits: mode == .byte ? 2 : 4)
            emit(context, json: .object([("value", .number(Double(value))), ("hex", .string(text))]), text: text)
        }
    }

    public struct Set: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(abstract: "Write a register of a device (i2cset).")
        @OptionGroup public var options: BoardOptions
        @Argument(help: "Bus number.") var bus: Int
        @Argument(help: "Device address, 0x08-0x77.") var address: String
        @Argument(help: "Register, 0x00-0xff.") var register: String
        @Argument(help: "Value: a byte, or a word with --width w.") var value: String
        @Option(name: .long, help: "b: byte (default), w: word, low byte first.") var width: String = "b"

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let number = try ArgumentParsing.bus(bus)
            let target = try ArgumentParsing.address(address, bus: number)
            let mode = try ArgumentParsing.width(width)
            try I2CTool(backend: context.backend).set(
                bus: number, address: target, register: try ArgumentParsing.register(register),
                value: try ArgumentParsing.value(value), width: mode)
            emit(context, json: .object([("written", .bool(true))]), text: "")
        }
    }

    public struct Dump: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show a device's registers (i2cdump), optionally again and again.")
        @OptionGroup public var options: BoardOptions
        @Argument(help: "Bus number.") var bus: Int
        @Argument(help: "Device address, 0x08-0x77.") var address: String
        @Option(name: .long, help: "Registers to read, FIRST-LAST (default 0x00-0xff).") var range: String = "0x00-0xff"
        @Option(name: .long, help: "Dump this many times (watch registers change).") var count: Int = 1
        @Option(name: .long, help: "Milliseconds between dumps.") var interval: Int = 1000

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let number = try ArgumentParsing.bus(bus)
            let target = try ArgumentParsing.address(address, bus: number)
            let registers = try ArgumentParsing.range(range)
            guard (1...100_000).contains(count), (10...3_600_000).contains(interval) else {
                throw CommandFailure("--count must be 1-100000 and --interval 10-3600000 ms", exitStatus: 2)
            }
            let tool = I2CTool(backend: context.backend)
            for round in 0..<count {
                if round > 0 {
                    context.sleep(UInt64(interval) * 1_000_000)
                    if context.shouldStop() { return }
                    if !options.json { context.write("") }
                }
                let values = try tool.dump(bus: number, address: target, range: registers)
                emit(
                    context, json: I2CTool.dumpJSON(bus: number, address: target, values),
                    text: I2CTool.formatDump(values))
            }
        }
    }
}
