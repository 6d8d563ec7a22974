import Agent
import ArgumentParser
import Boards
import HardwareCommands
import JSON
import Platform
import Updates

/// `modules`: the modules in use.
public struct ModulesCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "modules", abstract: "List the modules in use and their versions.")
    @OptionGroup var options: JSONFlag
    public init() {}

    public func execute(in context: AgentContext) throws {
        let modules = try onAgent(context) { $0.moduleSummaries() }
        if options.json {
            context.write(JSONValue.array(modules.map {
                .object([("name", .string($0.name)), ("version", .string($0.version)), ("bytes", number(Double($0.bytes))),
                         ("services", .array($0.services.map(JSONValue.string)))])
            }).serialized)
            return
        }
        context.write(table(["MODULE", "VERSION", "BYTES", "SERVICES"], modules.map { [$0.name, $0.version, String($0.bytes), $0.services.joined(separator: ", ")] }))
    }
}

/// `module load|history|rollback`.
public struct ModuleAgentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "module", abstract: "Swap a module in (load), list its versions (history), go back (rollback).",
        subcommands: [Load.self, Push.self, History.self, Rollback.self])
    public init() {}

    /// Says what a swap did, after its probation unless `wait` is false; one that could not
    /// be stored (the old version comes back at the next start) or was rolled back on
    /// probation fails the command.
    static func finish(_ report: SwapReport, wait: Bool, in context: AgentContext) throws {
        let outcome = report.outcome(wait ? context.agent.handle.awaitProbation(of: report) : nil)
        guard outcome.succeeded else { throw CommandFailure(outcome.line, exitStatus: 1) }
        context.write(outcome.line)
    }

    public struct Load: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "Hot-swap every service of a module to the .wasm in FILE.")
        @Argument(help: "Module name.") var name: String
        @Argument(help: "A built module (.wasm).") var file: String
        @Flag(name: .long, help: "Allow a version that is not newer.") var allowDowngrade = false
        @Flag(name: .long, help: "Return at the switch instead of waiting for the probation verdict.") var noWait = false
        public init() {}

        public func execute(in context: AgentContext) throws {
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.read(file, limit: 8 << 20)
            } catch {
                throw CommandFailure("\(error)", exitStatus: 1)
            }
            let (module, source, downgrade) = (name, file, allowDowngrade)
            let report = try offLoop(context) { runtime throws(SwapRefusal) in try runtime.load(module: module, bytes: bytes, source: source, allowDowngrade: downgrade) }
            try ModuleAgentCommand.finish(report, wait: !noWait, in: context)
        }
    }

    public struct Push: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Verify a signed bundle (.mfb) against the trusted keys and hot-swap it in.")
        @Argument(help: "A signed module bundle.") var file: String
        @Flag(name: .long, help: "Allow a version that is not newer (logged).") var allowDowngrade = false
        @Flag(name: .long, help: "Return at the switch instead of waiting for the probation verdict.") var noWait = false
        public init() {}

        public func execute(in context: AgentContext) throws {
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.read(file, limit: 16 << 20)
            } catch {
                throw CommandFailure("\(error)", exitStatus: 1)
            }
            let report: SwapReport
            do {
                report = try context.agent.modulePush.push(bytes, allowDowngrade: allowDowngrade)
            } catch {
                throw CommandFailure(error.description, exitStatus: 1)
            }
            try ModuleAgentCommand.finish(report, wait: !noWait, in: context)
        }
    }

    public struct History: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "The versions a module has run, oldest first.")
        @Argument(help: "Module name.") var name: String
        @OptionGroup var options: JSONFlag
        public init() {}

        public func execute(in context: AgentContext) throws {
            let module = name
            let entries = try offLoop(context) { handle throws(AgentRefusal) in try handle.moduleHistory(module) }
            guard options.json else {
                return ModuleHistoryEntry.lines(entries).forEach(context.write)
            }
            context.write(JSONValue.array(entries.map { entry in
                var fields: [(String, JSONValue)] = [
                    ("version", .string(entry.version.description)), ("outcome", .string(entry.outcome.word)), ("builtIn", .bool(entry.builtIn)),
                ]
                switch entry.outcome {
                case .active: break
                case .rolledBack(let reason): fields.append(("reason", .string(reason)))
                case .replaced(let next): fields.append(("replacedBy", next.map { .string($0.description) } ?? .null))
                }
                return .object(fields)
            }).serialized)
        }
    }

    public struct Rollback: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "Swap back to the version before the current one.")
        @Argument(help: "Module name.") var name: String
        public init() {}

        public func execute(in context: AgentContext) throws {
            let module = name
            try ModuleAgentCommand.finish(
                try offLoop(context) { runtime throws(SwapRefusal) in try runtime.rollbackFromConsole(module) }, wait: false, in: context)
        }
    }
}

/// `time`: the system clock and what the RTC services read.
public struct TimeCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "time", abstract: "Show the system clock and the RTC readings.")
    public init() {}

    public func execute(in context: AgentContext) throws {
        let (wall, synchronized, rtcs) = try onAgent(context) { runtime in
            (runtime.time.wallNanoseconds / 1_000_000_000, runtime.time.isSynchronized,
             runtime.serviceSummaries().compactMap { summary -> (String, Int64)? in
                 guard let reading = summary.readings.first(where: { $0.0 == "rtc_time" }), reading.1.isFinite,
                     abs(reading.1) < 1e15
                 else { return nil }
                 return (summary.name, Int64(reading.1))
             })
        }
        context.write("system  \(wall) (Unix s), \(synchronized ? "synchronized" : "not synchronized")")
        for (name, seconds) in rtcs { context.write("\(name)  \(seconds) (Unix s), \(seconds - wall >= 0 ? "+" : "")\(seconds - wall) s") }
    }
}
