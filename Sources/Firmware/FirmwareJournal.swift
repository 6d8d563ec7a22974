import JSON
import Platform

/// The small record the agent keeps on the data partition across reboots: the install
/// waiting for its trial boot, why a trial failed, and the last outcome to report.
/// Written atomically (temp file, fsync, rename).
public struct FirmwareJournal: Hashable, Sendable {
    public struct Install: Hashable, Sendable {
        public var slot: FirmwareSlot
        public var version: String

        public init(slot: FirmwareSlot, version: String) {
            self.slot = slot
            self.version = version
        }
    }

    /// The last update's end, said by `fw status` until the next one.
    public struct Outcome: Hashable, Sendable {
        public enum Result: String, Sendable {
            case validated
            case reverted
        }

        public var result: Result
        public var slot: FirmwareSlot
        public var version: String
        public var reason: String

        public init(result: Result, slot: FirmwareSlot, version: String, reason: String) {
            self.result = result
            self.slot = slot
            self.version = version
            self.reason = reason
        }
    }

    public var pending: Install?
    /// Why the slot on trial did not pass, written before the agent reboots to fall back.
    public var trialFailure: String?
    public var last: Outcome?

    public init(pending: Install? = nil, trialFailure: String? = nil, last: Outcome? = nil) {
        self.pending = pending
        self.trialFailure = trialFailure
        self.last = last
    }

    /// Reads the journal; a missing file is an empty journal, an unreadable one is reported.
    public static func load(_ path: String) throws(FirmwareRefusal) -> FirmwareJournal {
        guard FileSystem.exists(path) else { return FirmwareJournal() }
        do {
            let root = JSONReader(file: path, value: try JSONParser.parse(try FileSystem.read(path, limit: 64 << 10)))
            var journal = FirmwareJournal()
            if let pending = try root.optional("pending") {
                journal.pending = Install(slot: try slot(pending.required("slot")), version: try pending.required("version").string())
            }
            journal.trialFailure = try root.optional("trialFailure")?.string()
            if let last = try root.optional("last") {
                let resultField = try last.required("result")
                guard let result = Outcome.Result(rawValue: try resultField.string()) else {
                    throw resultField.problem("expected validated or reverted")
                }
                journal.last = Outcome(
                    result: result, slot: try slot(last.required("slot")), version: try last.required("version").string(),
                    reason: try last.required("reason").string())
            }
            return journal
        } catch {
            throw FirmwareRefusal(.storage, "firmware journal \(path) is unreadable: \(error)")
        }
    }

    public func save(_ path: String) throws(FirmwareRefusal) {
        var members: [(String, JSONValue)] = []
        if let pending {
            members.append(("pending", .object([("slot", .string(pending.slot.rawValue)), ("version", .string(pending.version))])))
        }
        if let trialFailure { members.append(("trialFailure", .string(trialFailure))) }
        if let last {
            members.append(("last", .object([
                ("result", .string(last.result.rawValue)), ("slot", .string(last.slot.rawValue)),
                ("version", .string(last.version)), ("reason", .string(last.reason)),
            ])))
        }
        do {
            try FileSystem.writeAtomically(Array(JSONValue.object(members).serialized.utf8), to: path)
        } catch {
            throw FirmwareRefusal(.storage, "cannot write the firmware journal: \(error)")
        }
    }

    private static func slot(_ field: JSONReader) throws(JSONReader.Problem) -> FirmwareSlot {
        guard let slot = FirmwareSlot(rawValue: try field.string()) else { throw field.problem("expected a or b") }
        return slot
    }
}
