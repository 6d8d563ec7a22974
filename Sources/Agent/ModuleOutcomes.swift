import Manifests

/// What became of each version of a module that ran on this board: the journal behind
/// `module history`, kept beside the module's files. Pure: parse, add, render.
///
/// One event per line, `activated VERSION` or `rolled-back VERSION REASON`: our own small
/// format, because the store is Foundation-free and a line is what an operator reads.
public struct ModuleOutcomes: Hashable, Sendable {
    public enum Event: Hashable, Sendable {
        /// The version started to run (a swap, a rollback to it, its first use).
        case activated(SemanticVersion)
        /// The version was given up on: on probation (the crash or failing report), or by
        /// `module rollback`.
        case rolledBack(SemanticVersion, reason: String)

        var version: SemanticVersion {
            switch self {
            case .activated(let version), .rolledBack(let version, _): return version
            }
        }
    }

    /// The events kept, oldest first (the last `limit`).
    public private(set) var events: [Event]
    public static let limit = 200

    public init(events: [Event] = []) {
        self.events = Array(events.suffix(Self.limit))
    }

    /// Reads the journal's text; a line that is not an event is skipped (the journal only
    /// explains, so a damaged line must not hide the others).
    public init(parsing text: String) {
        var events: [Event] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, let version = SemanticVersion(String(parts[1])) else { continue }
            switch parts[0] {
            case "activated": events.append(.activated(version))
            case "rolled-back": events.append(.rolledBack(version, reason: parts.count == 3 ? String(parts[2]) : ""))
            default: continue
            }
        }
        self.init(events: events)
    }

    public var serialized: String {
        events.map { event -> String in
            switch event {
            case .activated(let version): return "activated \(version)\n"
            case .rolledBack(let version, let reason):
                return "rolled-back \(version) \(String(reason.map { $0.isNewline ? " " : $0 }))\n"
            }
        }.joined()
    }

    public mutating func add(_ event: Event) {
        events.append(event)
        if events.count > Self.limit { events.removeFirst(events.count - Self.limit) }
    }

    /// Each version, in the order they were first tried, with its outcome: `active` for
    /// `running`, else rolled back (why) or replaced (by which).
    public func entries(running: SemanticVersion?) -> [ModuleHistoryEntry] {
        var order: [SemanticVersion] = []
        for event in events where !order.contains(event.version) { order.append(event.version) }
        if let running, !order.contains(running) { order.append(running) }
        return order.map { ModuleHistoryEntry(version: $0, outcome: outcome(of: $0, running: running)) }
    }

    /// `entries` as the console prints them: one line per version, versions padded.
    public func lines(running: SemanticVersion?) -> [String] {
        ModuleHistoryEntry.lines(entries(running: running))
    }

    private func outcome(of version: SemanticVersion, running: SemanticVersion?) -> ModuleHistoryEntry.Outcome {
        if version == running { return .active }
        guard let index = events.lastIndex(where: { $0.version == version }) else { return .replaced(by: nil) }
        switch events[index] {
        case .rolledBack(_, let reason):
            return .rolledBack(reason: reason)
        case .activated:
            let next = events[(index + 1)...].first { if case .activated(let other) = $0 { return other != version } else { return false } }
            return .replaced(by: next?.version)
        }
    }
}
