/// The swaps made of each module and the probation rollbacks that undid some of them: what
/// a pusher waiting for its verdict reads. A value the supervisor keeps on its loop thread.
struct ProbationLedger {
    /// Rollbacks kept per module: a waiter asks about its own swap, whatever came after.
    static let kept = 16

    private var serials: [String: Int] = [:]
    private var rollbacks: [String: [Int: (version: String, reason: String)]] = [:]

    /// Counts a swap of `module`; returns its serial (the first swap is 1).
    mutating func swapped(_ module: String) -> Int {
        serials[module, default: 0] += 1
        return serials[module] ?? 0
    }

    /// The latest swap of `module` was undone on probation: `version` runs again, for `reason`.
    mutating func rolledBack(_ module: String, to version: String, reason: String) {
        var kept = rollbacks[module] ?? [:]
        kept[serials[module] ?? 0] = (version, reason)
        if kept.count > Self.kept, let oldest = kept.keys.min() { kept[oldest] = nil }
        rollbacks[module] = kept
    }

    /// How swap `serial` of `module` fares; `onProbation`: whether a service still runs it on probation.
    func verdict(module: String, serial: Int, onProbation: Bool) -> ProbationVerdict {
        if let rollback = rollbacks[module]?[serial] {
            return .rolledBack(to: rollback.version, reason: rollback.reason)
        }
        // A later swap of the module ended this one's probation: it was not rolled back.
        guard serials[module] == serial else { return .passed }
        return onProbation ? .pending : .passed
    }
}
