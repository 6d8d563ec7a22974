import Synchronization

/// Who may open an SSH connection, as OpenSSH's `MaxStartups begin:rate:full` and
/// `PerSourceMaxStartups` decide it: connections that have not logged in yet ("startups")
/// are dropped at random past `begin`, with a probability rising from `rate` % to 100 % at
/// `full`, and no source may hold more than `perSource` of them. Logged-in sessions are
/// counted apart, so strangers holding connections open cannot keep the owner out, and
/// the owner's sessions do not make strangers' attempts look like a flood.
///
/// Refusals are counted, not logged one by one: `refusalSummary` says them in one line.
public final class ConnectionGate: Sendable {
    /// The server's limits; the defaults are OpenSSH's `MaxStartups 10:30:100` with a lower
    /// `full` for a small board, and `PerSourceMaxStartups 4`.
    public struct Limits: Sendable {
        /// Startups from which new connections are dropped at random.
        public var begin = 10
        /// The chance of that drop at `begin`, in percent.
        public var rate = 30
        /// Startups at which every new connection is dropped.
        public var full = 60
        /// Startups one source address may hold.
        public var perSource = 4
        /// Logged-in sessions at once.
        public var sessions = 8
        /// Seconds until the client's identification line, and until it has logged in.
        public var identificationSeconds: Int64 = 10
        public var loginSeconds: Int64 = 30

        public init() {}
    }

    /// Why a connection was refused (the summary's wording).
    public enum Refusal: String, Sendable, CaseIterable {
        case perSource = "over the per-source limit"
        case full = "MaxStartups full"
        case earlyDrop = "random early drop"
        case sessions = "all sessions in use"
    }

    private struct State {
        var startups = 0
        var sessions = 0
        var bySource: [String: Int] = [:]
        var refused: [Refusal: Int] = [:]

        mutating func leaveStartup(_ source: String) {
            startups -= 1
            let left = bySource[source, default: 1] - 1
            bySource[source] = left > 0 ? left : nil
        }
    }

    /// What this gate applies.
    public let limits: Limits
    private let state = Mutex(State())
    /// A number in 0..<100 for the early drop (fixed in tests).
    private let roll: @Sendable () -> Int

    /// A gate with `limits`; `roll` draws the early drop's number (0..<100).
    public init(limits: Limits = Limits(), roll: @escaping @Sendable () -> Int = { Int.random(in: 0..<100) }) {
        self.limits = limits
        self.roll = roll
    }

    /// A new connection from `source`: nil to let it in (it is then a startup until
    /// `authenticated` or `closed`), or why it is refused.
    public func admit(source: String) -> Refusal? {
        state.withLock { state in
            var refusal: Refusal?
            if state.bySource[source, default: 0] >= limits.perSource {
                refusal = .perSource
            } else if state.startups >= limits.full {
                refusal = .full
            } else if state.startups >= limits.begin {
                // OpenSSH's drop_connection(): rate % at begin, rising linearly to 100 % at full.
                let chance = limits.rate + (100 - limits.rate) * (state.startups - limits.begin) / max(1, limits.full - limits.begin)
                if roll() < chance { refusal = .earlyDrop }
            }
            if let refusal {
                state.refused[refusal, default: 0] += 1
                return refusal
            }
            state.startups += 1
            state.bySource[source, default: 0] += 1
            return nil
        }
    }

    /// The connection from `source` logged in: it leaves the startups and takes a session
    /// slot. False when every slot is taken (the login is then refused).
    public func authenticated(source: String) -> Bool {
        state.withLock { state in
            guard state.sessions < limits.sessions else {
                state.refused[.sessions, default: 0] += 1
                return false
            }
            state.leaveStartup(source)
            state.sessions += 1
            return true
        }
    }

    /// A connection admitted by `admit` closed.
    public func closed(source: String, authenticated: Bool) {
        state.withLock { state in
            if authenticated { state.sessions -= 1 } else { state.leaveStartup(source) }
        }
    }

    /// Connections not logged in, and sessions, now.
    public var counts: (startups: Int, sessions: Int) {
        state.withLock { ($0.startups, $0.sessions) }
    }

    /// One line for the refusals since the last summary (nil when there were none).
    public func refusalSummary(seconds: Int) -> String? {
        state.withLock { state in
            guard !state.refused.isEmpty else { return nil }
            defer { state.refused = [:] }
            let total = state.refused.values.reduce(0, +)
            let parts = Refusal.allCases.compactMap { reason in state.refused[reason].map { "\($0) \(reason.rawValue)" } }
            return "refused \(total) connection\(total == 1 ? "" : "s") in the last \(seconds) s: " + parts.joined(separator: ", ")
        }
    }
}
