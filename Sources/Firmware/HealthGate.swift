/// The trial boot's health gate: passes once every permanent service has been healthy
/// for `window` without a break; expires at `deadline` (from the gate's start) if it never
/// did. Pure: the caller says what it sees and when.
public struct HealthGate: Hashable, Sendable {
    public enum Verdict: Hashable, Sendable {
        case waiting
        case passed
        case expired
    }

    public let windowNanoseconds: UInt64
    public let deadlineNanoseconds: UInt64
    private let start: UInt64
    private var healthySince: UInt64?
    public private(set) var verdict = Verdict.waiting

    public init(windowNanoseconds: UInt64, deadlineNanoseconds: UInt64, now: UInt64) {
        self.windowNanoseconds = windowNanoseconds
        self.deadlineNanoseconds = deadlineNanoseconds
        start = now
    }

    /// Records one look at the services; the verdict never changes once given.
    @discardableResult
    public mutating func observe(healthy: Bool, now: UInt64) -> Verdict {
        guard verdict == .waiting else { return verdict }
        if healthy {
            let since = healthySince ?? now
            healthySince = since
            if now - since >= windowNanoseconds {
                verdict = .passed
                return verdict
            }
        } else {
            healthySince = nil
        }
        if now - start >= deadlineNanoseconds { verdict = .expired }
        return verdict
    }
}
