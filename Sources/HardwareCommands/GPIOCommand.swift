import ArgumentParser
import Hardware
import HardwareTools

/// `gpio detect|info|get|set|mon`: gpiod tools for any board.
public struct GPIOCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gpio",
        abstract: "Inspect and drive GPIO lines (like gpiodetect, gpioinfo, gpioget, gpioset, gpiomon).",
        subcommands: [Detect.self, Info.self, Get.self, Set.self, Mon.self])

    public init() {}

    static func bias(_ text: String) throws -> GPIOBias {
        guard let bias = GPIOBias(rawValue: text) else {
            throw CommandFailure(
                "--bias must be one of \(GPIOBias.allCases.map(\.rawValue).joined(separator: ", "))", exitStatus: 2)
        }
        return bias
    }

    public struct Detect: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(abstract: "List GPIO chips (gpiodetect).")
        @OptionGroup public var options: BoardOptions

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let chips = try GPIOTool(backend: context.backend).detect()
            emit(
                context,
                json: .array(
                    chips.map {
                        .object([
                            ("chip", .string($0.name)), ("label", .string($0.label)),
                            ("lines", .number(Double($0.lineCount))),
                        ])
                    }),
                text: chips.isEmpty ? "no GPIO chips" : GPIOTool.formatDetect(chips))
        }
    }

    public struct Info: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(abstract: "Show every line of a chip (gpioinfo).")
        @OptionGroup public var options: BoardOptions
        @Argument(help: "Chip name, number, label or path; all chips when omitted.") var chip: String?

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let tool = GPIOTool(backend: context.backend)
            for name in chip.map({ [$0] }) ?? context.backend.gpioChipNames() {
                let (info, lines) = try tool.info(chip: name)
                emit(context, json: GPIOTool.infoJSON(info, lines), text: GPIOTool.formatInfo(info, lines))
            }
        }
    }

    public struct Get: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(abstract: "Read input lines (gpioget).")
        @OptionGroup public var options: BoardOptions
        @Option(name: .long, help: "as-is, disabled, pull-up or pull-down.") var bias: String = "as-is"
        @Argument(help: "Chip name, number, label or path.") var chip: String
        @Argument(help: "Line offsets or names.") var lines: [String]

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            let values = try GPIOTool(backend: context.backend).get(
                chip: chip, lines: lines.map(GPIOLineSelector.init), bias: try GPIOCommand.bias(bias))
            emit(
                context, json: .array(values.map { .number($0 ? 1 : 0) }),
                text: values.map { $0 ? "1" : "0" }.joined(separator: " "))
        }
    }

    public struct Set: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Drive output lines (gpioset); the values hold for --hold-ms, then the lines are released.")
        @OptionGroup public var options: BoardOptions
        @Option(name: .long, help: "Milliseconds to hold the values before releasing the lines.") var holdMs: Int = 0
        @Argument(help: "Chip name, number, label or path.") var chip: String
        @Argument(help: "LINE=VALUE pairs, e.g. 22=1 or led=0.") var values: [String]

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            guard (0...86_400_000).contains(holdMs) else {
                throw CommandFailure("--hold-ms must be 0-86400000", exitStatus: 2)
            }
            var assignments: [(GPIOLineSelector, Bool)] = []
            for text in values { assignments.append(try GPIOTool.parseAssignment(text, chip: chip)) }
            let requests = try GPIOTool(backend: context.backend).set(chip: chip, values: assignments)
            if holdMs > 0 { context.sleep(UInt64(holdMs) * 1_000_000) }
            requests.forEach { $0.release() }
            emit(context, json: .object([("set", .number(Double(requests.count)))]), text: "")
        }
    }

    public struct Mon: HardwareLeafCommand {
        public static let configuration = CommandConfiguration(abstract: "Wait for edges on lines (gpiomon).")
        @OptionGroup public var options: BoardOptions
        @Option(name: .long, help: "rising, falling or both.") var edges: String = "both"
        @Option(name: .long, help: "as-is, disabled, pull-up or pull-down.") var bias: String = "as-is"
        @Option(name: [.customShort("n"), .long], help: "Exit after this many events.") var numEvents: Int?
        @Option(name: .long, help: "Exit after this many milliseconds without an event.") var timeoutMs: Int?
        @Argument(help: "Chip name, number, label or path.") var chip: String
        @Argument(help: "Line offsets or names.") var lines: [String]

        public init() {}

        public func execute(in context: CommandContext) throws {
            try options.check(context)
            guard let detection = GPIOEdgeDetection(rawValue: edges), detection != .none else {
                throw CommandFailure("--edges must be rising, falling or both", exitStatus: 2)
            }
            if let numEvents, numEvents < 1 { throw CommandFailure("-n must be at least 1", exitStatus: 2) }
            if let timeoutMs, timeoutMs < 1 { throw CommandFailure("--timeout-ms must be at least 1", exitStatus: 2) }
            try GPIOTool(backend: context.backend).monitor(
                chip: chip, lines: lines.map(GPIOLineSelector.init), edges: detection, bias: try GPIOCommand.bias(bias),
                count: numEvents, idleTimeoutNanoseconds: timeoutMs.map { UInt64($0) * 1_000_000 },
                shouldStop: context.shouldStop
            ) { event in
                emit(context, json: GPIOTool.eventJSON(event), text: GPIOTool.formatEvent(event))
            }
        }
    }
}
