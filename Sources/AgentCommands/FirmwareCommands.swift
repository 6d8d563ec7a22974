import Agent
import ArgumentParser
import Firmware
import HardwareCommands
import JSON
import Updates

/// The firmware side of a board with A/B slots.
func firmware(_ context: AgentContext) throws -> FirmwareManager {
    guard let firmware = context.agent.firmware else {
        throw CommandFailure("this board has no firmware slots (no \"firmware\" section in its board.json)", exitStatus: 2)
    }
    return firmware
}

/// A firmware refusal as a one-line failure.
func refusing<Result>(_ body: () throws(FirmwareRefusal) -> Result) throws -> Result {
    do {
        return try body()
    } catch {
        throw CommandFailure(error.description, exitStatus: 1)
    }
}

/// `fw status|validate|revert|install`.
public struct FirmwareAgentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fw", abstract: "A/B firmware: status, validate, revert, install.",
        subcommands: [Status.self, Validate.self, Revert.self, Install.self])
    public init() {}

    public struct Status: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "Running slot, version, validation and the last update's outcome.")
        @OptionGroup var options: JSONFlag
        public init() {}

        public func execute(in context: AgentContext) throws {
            let manager = try firmware(context)
            let status = try refusing { () throws(FirmwareRefusal) in try manager.status() }
            if options.json {
                context.write(JSONValue.object([
                    ("slot", .string(status.slot.rawValue)), ("version", .string(status.version)),
                    ("validation", .string(status.validation.rawValue)),
                    ("otherSlot", .object([
                        ("slot", .string(status.slot.other.rawValue)), ("state", .string(status.otherSlotState)),
                        ("version", status.otherSlotVersion.map(JSONValue.string) ?? .null),
                    ])),
                    ("pendingReboot", .bool(status.pendingReboot)), ("bootcount", .string(status.bootCount)),
                    ("securityVersion", .string(status.securityVersion)),
                    ("lastOutcome", status.lastOutcome.map(JSONValue.string) ?? .null),
                    ("gate", status.gate.map(JSONValue.string) ?? .null),
                ]).serialized)
                return
            }
            context.write("slot \(status.slot): \(status.version), \(status.validation.rawValue)\(status.gate.map { " (\($0))" } ?? "")")
            context.write("slot \(status.slot.other): \(status.otherSlotVersion ?? "-"), \(status.otherSlotState)\(status.pendingReboot ? ", boots next (reboot to try it)" : "")")
            context.write("security version \(status.securityVersion), bootcount \(status.bootCount)")
            if let outcome = status.lastOutcome { context.write("last update: \(outcome)") }
        }
    }

    public struct Validate: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "Accept the firmware on trial now (instead of the health gate).")
        public init() {}

        public func execute(in context: AgentContext) throws {
            let manager = try firmware(context)
            try refusing { () throws(FirmwareRefusal) in try manager.validate(reason: "fw validate") }
            manager.stopWatching()
            context.write("slot \(manager.runningSlot) validated")
        }
    }

    public struct Revert: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "Boot the other (validated) slot next; with --reboot, now.")
        @Flag(name: .long, help: "Reboot right away.") var reboot = false
        public init() {}

        public func execute(in context: AgentContext) throws {
            let manager = try firmware(context)
            let slot = try refusing { () throws(FirmwareRefusal) in try manager.revert() }
            context.write("slot \(slot) boots next")
            if reboot { try requestReboot(context, reason: "fw revert") }
        }
    }

    public struct Install: ParsableCommand, AgentConsoleCommand {
        public static let configuration = CommandConfiguration(abstract: "Install a firmware bundle from a file on the board into the other slot.")
        @Argument(help: "The .fw bundle.") var file: String
        @Flag(name: .long, help: "Reboot into it once installed.") var reboot = false
        @Flag(name: .long, help: "Accept a version older than the running one.") var allowDowngrade = false
        public init() {}

        public func execute(in context: AgentContext) throws {
            let manager = try firmware(context)
            let downgrade = allowDowngrade
            let installer = try refusing { () throws(FirmwareRefusal) in try manager.beginInstall(allowDowngrade: downgrade) }
            defer { manager.endInstall(installer) }
            try refusing { () throws(FirmwareRefusal) in
                let source = try BlockFile(path: file, writable: false)
                var offset = 0
                while true {
                    let chunk = try source.read(FirmwareManifest.blockSize, at: offset)
                    if chunk.isEmpty { break }
                    try installer.feed(chunk[...])
                    offset += chunk.count
                }
                try installer.finish()
            }
            context.write(installer.phase.description)
            if reboot { try requestReboot(context, reason: "fw install --reboot") }
        }
    }
}

/// `reboot`: the board restarts (the simulated one runs its bootloader model).
public struct RebootCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "reboot", abstract: "Reboot the board.")
    public init() {}

    public func execute(in context: AgentContext) throws {
        try requestReboot(context, reason: "reboot command")
    }
}

func requestReboot(_ context: AgentContext, reason: String) throws {
    guard let action = context.agent.reboot else {
        throw CommandFailure("this agent cannot reboot the board", exitStatus: 1)
    }
    context.write("rebooting")
    action(reason)
}

/// `watchdog [status]`, `watchdog snooze MINUTES`: the hardware watchdog's feeding.
public struct WatchdogCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(
        commandName: "watchdog", abstract: "Show the hardware watchdog, or snooze its guard for remote debugging.")
    @Argument(help: "status (default) or snooze.") var action = "status"
    @Argument(help: "Minutes to keep feeding even if the agent hangs (snooze; 0 ends it).") var minutes: Int?
    public init() {}

    public func execute(in context: AgentContext) throws {
        guard let watchdog = context.agent.watchdog else {
            throw CommandFailure("this board has no watchdog (no \"watchdog\" in its board.json)", exitStatus: 2)
        }
        switch action {
        case "status":
            break
        case "snooze":
            guard let minutes, (0...24 * 60).contains(minutes) else {
                throw CommandFailure("watchdog snooze MINUTES (0-1440; 0 ends a snooze)", exitStatus: 2)
            }
            watchdog.snooze(seconds: minutes * 60)
        default:
            throw CommandFailure("expected status or snooze, found '\(action)'", exitStatus: 2)
        }
        let status = watchdog.status
        context.write("\(status.device): fed \(status.feeds) times while the agent answered, \(status.misses) missed"
            + (status.snoozeSecondsLeft > 0 ? "; snoozed for \(status.snoozeSecondsLeft) s more (fed regardless)" : ""))
    }
}
