import ArgumentParser
import Hardware
import JSON
import SimulatedHardware

/// `sim …`: the bench controls of the simulated board, from the agent's console.
public struct SimCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Drive the simulated board: press buttons, set pulse rates, inject faults, cut RTC power.",
        subcommands: [Status.self, Press.self, Pulse.self, Drive.self, Edges.self, Fault.self, Clear.self, RTC.self])

    public init() {}

    static func board(_ context: CommandContext) throws -> SimulatedBoard {
        guard let board = context.simulatedBoard else {
            throw CommandFailure("sim commands need the simulated board (midflightd --simulate)", exitStatus: 2)
        }
        return board
    }

    /// `gpiochip0:17`, `gpiochip0:button`, or a bare line on the first chip.
    static func line(_ text: String, _ board: SimulatedBoard) throws -> (String, GPIOLineSelector) {
        if let colon = text.firstIndex(of: ":") {
            return (String(text[..<colon]), GPIOLineSelector(String(text[text.index(after: colon)...])))
        }
        guard let chip = board.gpioChipNames().first else { throw CommandFailure("the board has no GPIO chip") }
        return (chip, GPIOLineSelector(text))
    }

    /// `i2c-1@0x68` or `1@0x68`.
    static func device(_ text: String) throws -> (Int, UInt16) {
        let body = text.hasPrefix("i2c-") ? String(text.dropFirst(4)) : text
        let parts = body.split(separator: "@")
        guard parts.count == 2, let bus = Int(parts[0]), let address = parseInteger(String(parts[1])),
            I2CAddress.validRange.contains(UInt16(clamping: address))
        else {
            throw CommandFailure("'\(text)' is not a device (expected i2c-BUS@ADDRESS, e.g. i2c-1@0x68)", exitStatus: 2)
        }
        return (bus, UInt16(address))
    }

    public struct Status: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(abstract: "Show the simulated devices, lines and faults.")
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            context.write("board \(board.name), clock \(board.clock.isVirtual ? "virtual" : "real time")")
            for bus in board.i2cBusNumbers() {
                let devices = board.attachedDevices(bus: bus).map { "\(hex($0.address)) \($0.model)" }
                context.write("i2c-\(bus): " + (devices.isEmpty ? "no devices" : devices.joined(separator: ", ")))
            }
            for chip in board.gpioChipNames() {
                let info = try board.gpioChip(chip).allLineInfo().filter { $0.name != nil }
                let lines = info.map { "\($0.offset) \"\($0.name ?? "")\"" }
                context.write("\(chip): " + lines.joined(separator: ", "))
            }
            let faults = board.activeFaults
            context.write("faults: " + (faults.isEmpty ? "none" : faults.map(\.description).joined(separator: ", ")))
        }
    }

    public struct Press: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(abstract: "Press a button (with contact bounce).")
        @Argument(help: "Line: gpiochip0:button, gpiochip0:17 or button.") var line: String
        @Option(name: .long, help: "Milliseconds held down.") var holdMs: Int?
        @Option(name: .long, help: "Contact bounces on press and on release.") var bounces: Int?
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            let (chip, selector) = try SimCommand.line(line, board)
            try board.pressButton(chip: chip, line: selector, holdMilliseconds: holdMs, bounces: bounces)
            context.write("pressed \(chip):\(selector)")
        }
    }

    public struct Pulse: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(abstract: "Set a pulse sensor's rate in Hz (0 stops it).")
        @Argument(help: "Line: gpiochip0:pulse or pulse.") var line: String
        @Argument(help: "Pulses per second.") var hertz: Double
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            let (chip, selector) = try SimCommand.line(line, board)
            try board.setPulseRate(chip: chip, line: selector, hertz: hertz)
            context.write("\(chip):\(selector) pulsing at \(hertz) Hz")
        }
    }

    public struct Edges: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(
            abstract: "How many rising edges a line has produced (exact while a service watches it).")
        @Argument(help: "Line.") var line: String
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            let (chip, selector) = try SimCommand.line(line, board)
            context.write("\(try board.risingEdgeCount(chip: chip, line: selector))")
        }
    }

    public struct Drive: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(abstract: "Hold an input line at 0 or 1, or let it float.")
        @Argument(help: "Line.") var line: String
        @Argument(help: "0, 1 or float.") var level: String
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            let (chip, selector) = try SimCommand.line(line, board)
            let value: Bool?
            switch level {
            case "0": value = false
            case "1": value = true
            case "float": value = nil
            default: throw CommandFailure("level must be 0, 1 or float", exitStatus: 2)
            }
            try board.drive(chip: chip, line: selector, to: value)
            context.write("\(chip):\(selector) driven \(level)")
        }
    }

    public struct Fault: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Inject a fault: nack DEVICE, timeout BUS, remove DEVICE|CHIP, stuck LINE 0|1.")
        @Argument(help: "nack, timeout, remove or stuck.") var kind: String
        @Argument(help: "i2c-1@0x68, i2c-1, gpiochip0, or a line.") var target: String
        @Argument(help: "For stuck: the level, 0 or 1.") var level: String?
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            let fault = try SimCommand.parseFault(kind, target, level, board)
            try board.inject(fault)
            context.write("fault on: \(fault)")
        }
    }

    static func parseFault(_ kind: String, _ target: String, _ level: String?, _ board: SimulatedBoard) throws -> SimulatedFault {
        switch kind {
        case "nack":
            let (bus, address) = try device(target)
            return .i2cNack(bus: bus, address: address)
        case "timeout":
            let body = target.hasPrefix("i2c-") ? String(target.dropFirst(4)) : target
            guard let bus = Int(body) else { throw CommandFailure("'\(target)' is not a bus (expected i2c-N)", exitStatus: 2) }
            return .i2cBusTimeout(bus: bus)
        case "remove":
            if target.hasPrefix("gpiochip") { return .gpioChipRemoved(chip: target) }
            let (bus, address) = try device(target)
            return .i2cDeviceRemoved(bus: bus, address: address)
        case "stuck":
            guard let level, level == "0" || level == "1" else {
                throw CommandFailure("stuck needs a level, 0 or 1", exitStatus: 2)
            }
            let (chip, selector) = try line(target, board)
            let offset = try board.gpioChip(chip).resolve(selector)
            return .gpioStuckLine(chip: chip, offset: offset, level: level == "1")
        default:
            throw CommandFailure("unknown fault '\(kind)' (expected nack, timeout, remove or stuck)", exitStatus: 2)
        }
    }

    public struct Clear: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(abstract: "Clear one fault (same words as fault) or all.")
        @Argument(help: "all, or nack/timeout/remove/stuck.") var kind: String
        @Argument(help: "The fault's target.") var target: String?
        @Argument(help: "For stuck: the level.") var level: String?
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            if kind == "all" {
                board.clearAllFaults()
                context.write("all faults cleared")
                return
            }
            guard let target else { throw CommandFailure("clear needs 'all' or a fault and its target", exitStatus: 2) }
            let fault = try SimCommand.parseFault(kind, target, level, board)
            board.clear(fault)
            context.write("fault off: \(fault)")
        }
    }

    public struct RTC: ParsableCommand, ContextCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show a simulated RTC, cut its power (power-loss [--battery]), or set its crystal drift.")
        @Argument(help: "show, power-loss or drift.") var action: String = "show"
        @Option(name: .long, help: "The RTC device.") var device: String = "i2c-1@0x68"
        @Flag(name: .long, help: "With power-loss: a backup battery is fitted.") var battery = false
        @Option(name: .long, help: "With power-loss: seconds without main power.") var seconds: Int = 60
        @Option(name: .long, help: "With drift: crystal error in ppm.") var ppm: Double?
        public init() {}

        public func execute(in context: CommandContext) throws {
            let board = try SimCommand.board(context)
            let (bus, address) = try SimCommand.device(device)
            switch action {
            case "show":
                let (fields, lost) = try board.withRTC(bus: bus, address: address) { rtc, now in
                    (rtc.time(at: now), rtc.hasLostTime(at: now))
                }
                context.write(
                    "\(device): \(SimCommand.format(fields))\(lost ? " (oscillator-stop flag set: time not valid)" : "")")
            case "power-loss":
                guard (0...31_536_000).contains(seconds) else {
                    throw CommandFailure("--seconds must be 0-31536000", exitStatus: 2)
                }
                try board.withRTC(bus: bus, address: address) { rtc, now in
                    rtc.losePower(batteryBacked: battery, forNanoseconds: UInt64(seconds) * 1_000_000_000, at: now)
                }
                context.write("\(device): power lost for \(seconds) s \(battery ? "on battery" : "with no battery")")
            case "drift":
                guard let ppm, abs(ppm) <= 1000 else { throw CommandFailure("drift needs --ppm within ±1000", exitStatus: 2) }
                try board.withRTC(bus: bus, address: address) { rtc, now in rtc.setCrystalDrift(ppm: ppm, at: now) }
                context.write("\(device): crystal drift \(ppm) ppm")
            default:
                throw CommandFailure("unknown action '\(action)' (expected show, power-loss or drift)", exitStatus: 2)
            }
        }
    }

    /// `20YY-MM-DD hh:mm:ss` from chip fields (century bit → 21YY).
    static func format(_ fields: RTCFields) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(2000 + fields.century * 100 + fields.year)-\(two(fields.month))-\(two(fields.date)) "
            + "\(two(fields.hour)):\(two(fields.minute)):\(two(fields.second))"
    }
}
