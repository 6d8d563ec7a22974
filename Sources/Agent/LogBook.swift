import Synchronization
import Platform

/// The agent's log: the last lines of each source (every service, and the agent itself),
/// each also written to the agent's standard error (journald picks it up under systemd).
///
/// What one source can do to the others is bounded: a line is one line of printable text
/// (control characters are shown escaped, long lines cut), each source keeps its own last
/// `perSource` lines so a flood from one never evicts another's, and each source is
/// rate-limited; what a limit drops is counted and said in one line when the source is
/// allowed to speak again.
public final class LogBook: Sendable {
    public struct Entry: Sendable {
        public let sequence: Int
        public let monotonicNanoseconds: UInt64
        public let service: String?
        public let level: LogLevel
        public let message: String

        public var line: String {
            let seconds = monotonicNanoseconds / 1_000_000_000
            let millis = monotonicNanoseconds / 1_000_000 % 1000
            let stamp = "\(seconds).\(millis < 10 ? "00" : millis < 100 ? "0" : "")\(millis)"
            return "[\(stamp)] \(level.name) \(service.map { "\($0): " } ?? "")\(message)"
        }
    }

    /// The most lines one `log` shows (all sources together).
    public static let capacity = 1000
    /// The lines kept per source.
    public static let perSource = 250
    /// The longest message kept, in UTF-8 bytes, after escaping.
    public static let maximumMessageBytes = 512
    /// Lines per second a source may log on average.
    public static let linesPerSecond: UInt64 = 50
    /// Lines a source may log at once, before the rate applies.
    public static let burst: UInt64 = 200

    private struct Source {
        var lines: [Entry] = []
        /// Tokens in thousandths of a line, refilled at `linesPerSecond`.
        var tokens: UInt64 = LogBook.burst * 1000
        var refilledAt: UInt64
        var dropped = 0
    }

    private struct State {
        var next = 0
        var sources: [String: Source] = [:]
    }

    private let state = Mutex(State())
    private let echo: @Sendable (String) -> Void
    /// The clock of the rate limit (monotonic nanoseconds); tests give their own.
    private let clock: @Sendable () -> UInt64

    public init(echo: @escaping @Sendable (String) -> Void, clock: @escaping @Sendable () -> UInt64 = { monotonicNanoseconds() }) {
        self.echo = echo
        self.clock = clock
    }

    /// Adds a line stamped now (the monotonic clock), for callers without the agent's clock.
    public func add(_ level: LogLevel, _ message: String, service: String? = nil) {
        add(level, message, service: service, at: monotonicNanoseconds())
    }

    public func add(_ level: LogLevel, _ message: String, service: String? = nil, at time: UInt64) {
        let clean = Self.oneLine(message)
        let added = state.withLock { state -> [Entry] in
            // Read under the lock: the refill time only moves forward.
            let now = clock()
            let key = service ?? ""
            var source = state.sources[key] ?? Source(refilledAt: now)
            let elapsed = now > source.refilledAt ? now - source.refilledAt : 0
            source.tokens = min(Self.burst * 1000, source.tokens + elapsed / 1_000_000 * Self.linesPerSecond)
            source.refilledAt = now - elapsed % 1_000_000
            var added: [Entry] = []
            if source.tokens < 1000 {
                source.dropped += 1
            } else {
                source.tokens -= 1000
                if source.dropped > 0 {
                    let note = "\(source.dropped) line\(source.dropped == 1 ? "" : "s") dropped (over \(Self.linesPerSecond) lines/s)"
                    added.append(Entry(sequence: state.next, monotonicNanoseconds: time, service: service, level: .warning, message: note))
                    state.next += 1
                    source.dropped = 0
                }
                added.append(Entry(sequence: state.next, monotonicNanoseconds: time, service: service, level: level, message: clean))
                state.next += 1
                source.lines += added
                if source.lines.count > Self.perSource { source.lines.removeFirst(source.lines.count - Self.perSource) }
            }
            state.sources[key] = source
            return added
        }
        for entry in added { echo(entry.line) }
    }

    /// The last `count` entries, of one service or all.
    public func last(_ count: Int, service: String? = nil) -> [Entry] {
        Array(entries(service: service) { _ in true }.suffix(count))
    }

    /// Entries after sequence number `after` (for `log -f`).
    public func since(_ after: Int, service: String? = nil) -> [Entry] {
        entries(service: service) { $0.sequence > after }
    }

    /// Lines a source could not log since it last could (shown by `status`).
    public func dropped(service: String?) -> Int {
        state.withLock { $0.sources[service ?? ""]?.dropped ?? 0 }
    }

    private func entries(service: String?, where keep: (Entry) -> Bool) -> [Entry] {
        state.withLock { state in
            if let service { return (state.sources[service]?.lines ?? []).filter(keep) }
            return state.sources.values.flatMap { $0.lines.filter(keep) }.sorted { $0.sequence < $1.sequence }.suffix(Self.capacity)
        }
    }

    /// `message` as one line of text: control characters (C0, DEL, C1) and the Unicode
    /// line, paragraph and direction overrides are written as `\xHH` / `\u{HHHH}`, so a
    /// line can neither move the cursor nor pass for another line; cut at
    /// `maximumMessageBytes` with `…`.
    public static func oneLine(_ message: String) -> String {
        var output = ""
        var bytes = 0
        for scalar in message.unicodeScalars {
            let value = scalar.value
            let piece: String
            switch value {
            case 0x0A: piece = "\\n"
            case 0x0D: piece = "\\r"
            case 0x09: piece = "\\t"
            case 0..<0x20, 0x7F..<0xA0: piece = "\\x" + hex(value, digits: 2)
            case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F:
                piece = "\\u{" + hex(value, digits: 4) + "}"
            default: piece = String(scalar)
            }
            let size = piece.utf8.count
            guard bytes + size <= maximumMessageBytes else { return output + "…" }
            output += piece
            bytes += size
        }
        return output
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
