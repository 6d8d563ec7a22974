import Agent
import ArgumentParser
import HardwareCommands
import JSON

/// `services`: every service with its module, version, state and restarts.
public struct ServicesCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "services", abstract: "List the services and their states.")
    @OptionGroup var options: JSONFlag
    public init() {}

    public func execute(in context: AgentContext) throws {
        let summaries = try onAgent(context) { $0.serviceSummaries() }
        if options.json {
            context.write(JSONValue.array(summaries.map { summary in
                .object([
                    ("name", .string(summary.name)), ("module", .string(summary.module)), ("version", .string(summary.version)),
                    ("state", .string(summary.state)), ("restarts", number(Double(summary.restarts))),
                    ("detail", summary.detail.map(JSONValue.string) ?? .null),
                    ("health", summary.health.map { .string($0.word) } ?? .null),
                    ("healthReason", summary.health?.reason.map(JSONValue.string) ?? .null),
                ])
            }).serialized)
            return
        }
        context.write(table(
            ["SERVICE", "MODULE", "VERSION", "STATE", "HEALTH", "RESTARTS", "DETAIL"],
            summaries.map { [$0.name, $0.module, $0.version, $0.state, $0.health?.word ?? "-", String($0.restarts), $0.detail ?? $0.health?.reason ?? ""] }))
        for problem in context.agent.handle.dataProblems.withLock({ $0 }) { context.write("stored state: " + problem) }
    }
}

/// `status NAME`: one service in detail.
public struct StatusCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "status", abstract: "Show one service: state, grants, readings, last crash.")
    @Argument(help: "Service name.") var name: String
    @OptionGroup var options: JSONFlag
    public init() {}

    public func execute(in context: AgentContext) throws {
        let service = name
        let summary = try onAgent(context) { requests throws(AgentRefusal) in try requests.serviceSummary(service) }
        if options.json {
            context.write(JSONValue.object([
                ("name", .string(summary.name)), ("module", .string(summary.module)), ("version", .string(summary.version)),
                ("state", .string(summary.state)), ("restarts", number(Double(summary.restarts))),
                ("grants", .array(summary.grants.map(JSONValue.string))),
                ("readings", .object(summary.readings.map { ($0.0, number($0.1)) })),
                ("lastCrash", summary.lastCrash.map(JSONValue.string) ?? .null),
                ("health", summary.health.map { .string($0.word) } ?? .null),
                ("healthReason", summary.health?.reason.map(JSONValue.string) ?? .null),
                ("edgeLatency", summary.edgeLatency.map { latency in
                    .object([
                        ("medianNanoseconds", number(Double(latency.median))), ("p99Nanoseconds", number(Double(latency.p99))),
                        ("maxNanoseconds", number(Double(latency.max))), ("samples", number(Double(latency.count))),
                        ("edges", number(Double(latency.total))),
                    ])
                } ?? .null),
                ("standby", summary.standby.map(JSONValue.string) ?? .null),
            ]).serialized)
            return
        }
        context.write("\(summary.name): \(summary.module) \(summary.version), \(summary.state)\(summary.detail.map { " (\($0))" } ?? "")")
        if let health = summary.health { context.write("  health:   \(health)") }
        context.write("  grants:   \(summary.grants.isEmpty ? "none" : summary.grants.joined(separator: ", "))")
        context.write("  restarts: \(summary.restarts)\(summary.timerMilliseconds > 0 ? ", timer every \(summary.timerMilliseconds) ms" : "")")
        for (reading, value) in summary.readings { context.write("  \(reading) = \(value)") }
        if let crash = summary.lastCrash { context.write("  last crash: \(crash)") }
        if let standby = summary.standby { context.write("  standby:  \(summary.module) \(standby), warm for the next restart") }
        if let latency = summary.edgeLatency {
            context.write(
                "  edges:    \(latency.total), latency median \(microseconds(latency.median)) p99 \(microseconds(latency.p99)) "
                    + "max \(microseconds(latency.max)) over the last \(latency.count) (edge timestamp → handler done)")
        }
    }

    func microseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10) µs"
    }
}

/// `restart NAME`, `stop NAME`, `start NAME`.
public struct RestartCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart a service with fresh state; the others are untouched.")
    @Argument(help: "Service name.") var name: String
    public init() {}

    public func execute(in context: AgentContext) throws {
        let service = name
        try onAgent(context) { requests throws(AgentRefusal) in try requests.restart(service) }
        context.write("\(name) restarted")
    }
}

public struct StopCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a service (its supervisor leaves it stopped).")
    @Argument(help: "Service name.") var name: String
    public init() {}

    public func execute(in context: AgentContext) throws {
        let service = name
        try onAgent(context) { requests throws(AgentRefusal) in try requests.stop(service) }
        context.write("\(name) stopped")
    }
}

public struct StartCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a stopped or failed service.")
    @Argument(help: "Service name.") var name: String
    public init() {}

    public func execute(in context: AgentContext) throws {
        let service = name
        try onAgent(context) { requests throws(AgentRefusal) in try requests.start(service) }
        context.write("\(name) started")
    }
}

/// `log [NAME] [-n N]`.
public struct LogCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "log", abstract: "Show the last log lines, of one service or all.")
    @Argument(help: "Service name (all when omitted).") var name: String?
    @Option(name: [.customShort("n"), .long], help: "How many lines.") var lines: Int = 20
    @Flag(name: [.customShort("f"), .long], help: "Keep following new lines until Ctrl-C.") var follow = false
    public init() {}

    public func execute(in context: AgentContext) throws {
        guard (1...LogBook.capacity).contains(lines) else {
            throw CommandFailure("-n must be 1-\(LogBook.capacity)", exitStatus: 2)
        }
        let runtime = context.agent.handle
        if let name, !runtime.config.services.keys.contains(name) {
            throw CommandFailure("no service '\(name)'", exitStatus: 1)
        }
        var last = -1
        for entry in runtime.log.last(lines, service: name) {
            context.write(entry.line)
            last = entry.sequence
        }
        while follow, !context.shouldStop() {
            context.sleep(200_000_000)
            for entry in runtime.log.since(last, service: name) {
                context.write(entry.line)
                last = entry.sequence
            }
        }
    }
}

/// `watch NAME`: the service's readings, again and again, until Ctrl-C (or `--count`).
public struct WatchCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "watch", abstract: "Show a service's readings live until Ctrl-C.")
    @Argument(help: "Service name.") var name: String
    @Option(name: .long, help: "Stop after this many lines.") var count: Int?
    @Option(name: .long, help: "Milliseconds between lines.") var intervalMs: Int = 1000
    public init() {}

    public func execute(in context: AgentContext) throws {
        guard (50...3_600_000).contains(intervalMs), count.map({ $0 >= 1 }) ?? true else {
            throw CommandFailure("--interval-ms must be 50-3600000 and --count at least 1", exitStatus: 2)
        }
        let service = name
        var shown = 0
        while !context.shouldStop() {
            let summary = try onAgent(context) { requests throws(AgentRefusal) in try requests.serviceSummary(service) }
            let readings = summary.readings.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            context.write("\(summary.name) \(summary.state) \(readings)")
            shown += 1
            if let count, shown >= count { break }
            context.sleep(UInt64(intervalMs) * 1_000_000)
        }
        context.write("watched \(shown) time\(shown == 1 ? "" : "s")")
    }
}

/// `call NAME [BYTE…]`: a request to a service's `call` handler, the reply in hex.
public struct CallCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Send bytes (hex, e.g. 0x01 2a) to a service's call handler and show its reply.")
    @Argument(help: "Service name.") var name: String
    @Argument(help: "Request bytes, hex.") var bytes: [String] = []
    public init() {}

    public func execute(in context: AgentContext) throws {
        var request: [UInt8] = []
        for text in bytes {
            let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
            guard let byte = UInt8(digits, radix: 16) else {
                throw CommandFailure("'\(text)' is not a byte in hex (00-ff)", exitStatus: 2)
            }
            request.append(byte)
        }
        let (service, message) = (name, request)
        let reply = try onAgent(context) { requests throws(AgentRefusal) in try requests.call(service, request: message) }
        context.write(reply.isEmpty ? "(empty reply)" : reply.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " "))
    }
}
