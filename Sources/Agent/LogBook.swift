import Synchronization

/// The agent's log: a ring of the last lines (for `log` in the console), each also written
/// to the agent's standard error (journald picks it up under systemd).
public final class LogBook: Sendable {
    public struct Entry: Sendable {
        public let sequence: Int
        public let monotonicNanoseconds: UInt64
        public let service: String?
        public let level: String
        public let message: String

        public var line: String {
            let seconds = monotonicNanoseconds / 1_000_000_000
            let millis = monotonicNanoseconds / 1_000_000 % 1000
            let stamp = "\(seconds).\(millis < 10 ? "00" : millis < 100 ? "0" : "")\(millis)"
            return "[\(stamp)] \(level) \(service.map { "\($0): " } ?? "")\(message)"
        }
    }

    public static let capacity = 1000
    private let entries = Mutex<(next: Int, lines: [Entry])>((0, []))
    private let echo: @Sendable (String) -> Void

    public init(echo: @escaping @Sendable (String) -> Void) {
        self.echo = echo
    }

    public func add(_ level: String, _ message: String, service: String? = nil, at time: UInt64) {
        let entry = entries.withLock { state -> Entry in
            let entry = Entry(sequence: state.next, monotonicNanoseconds: time, service: service, level: level, message: message)
            state.next += 1
            state.lines.append(entry)
            if state.lines.count > LogBook.capacity { state.lines.removeFirst(state.lines.count - LogBook.capacity) }
            return entry
        }
        echo(entry.line)
    }

    /// The last `count` entries, of one service or all.
    public func last(_ count: Int, service: String? = nil) -> [Entry] {
        entries.withLock { state in
            Array(state.lines.filter { service == nil || $0.service == service }.suffix(count))
        }
    }

    /// Entries after sequence number `after` (for `log -f`).
    public func since(_ after: Int, service: String? = nil) -> [Entry] {
        entries.withLock { state in state.lines.filter { $0.sequence > after && (service == nil || $0.service == service) } }
    }
}
