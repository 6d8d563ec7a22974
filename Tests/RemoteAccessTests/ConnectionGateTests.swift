import RemoteAccess
import Testing

/// OpenSSH's MaxStartups and PerSourceMaxStartups, as the SSH server's gate applies them.
@Suite struct ConnectionGateTests {
    func limits(begin: Int = 10, rate: Int = 30, full: Int = 60, perSource: Int = 4, sessions: Int = 8) -> ConnectionGate.Limits {
        var limits = ConnectionGate.Limits()
        limits.begin = begin
        limits.rate = rate
        limits.full = full
        limits.perSource = perSource
        limits.sessions = sessions
        return limits
    }

    @Test func oneSourceHoldsAtMostItsShare() {
        let gate = ConnectionGate(limits: limits())
        for _ in 0..<4 { #expect(gate.admit(source: "10.0.0.9") == nil) }
        #expect(gate.admit(source: "10.0.0.9") == .perSource)
        #expect(gate.admit(source: "10.0.0.1") == nil)
        gate.closed(source: "10.0.0.9", authenticated: false)
        #expect(gate.admit(source: "10.0.0.9") == nil)
        #expect(gate.counts.startups == 5)
    }

    @Test func earlyDropStartsAtBeginAndRisesToFull() {
        // The roll decides: below the chance is a drop.
        let low = ConnectionGate(limits: limits(begin: 2, rate: 30, full: 12, perSource: 100), roll: { 29 })
        let high = ConnectionGate(limits: limits(begin: 2, rate: 30, full: 12, perSource: 100), roll: { 30 })
        for gate in [low, high] {
            #expect(gate.admit(source: "a") == nil)
            #expect(gate.admit(source: "a") == nil)
        }
        #expect(low.admit(source: "a") == .earlyDrop)
        #expect(high.admit(source: "a") == nil)
        // At 7 of begin 2 … full 12 the chance is 30 + 70 × 5/10 = 65 %.
        let middle = ConnectionGate(limits: limits(begin: 2, rate: 30, full: 12, perSource: 100), roll: { 64 })
        for _ in 0..<7 { _ = middle.admit(source: "b") }
        #expect(middle.counts.startups == 7)
        #expect(middle.admit(source: "b") == .earlyDrop)
        // At full, every connection is refused whatever the roll.
        let full = ConnectionGate(limits: limits(begin: 2, rate: 30, full: 3, perSource: 100), roll: { 99 })
        for _ in 0..<3 { #expect(full.admit(source: "c") == nil) }
        #expect(full.admit(source: "c") == .full)
    }

    @Test func loggedInSessionsLeaveTheStartupsAndHaveTheirOwnLimit() {
        let gate = ConnectionGate(limits: limits(perSource: 2, sessions: 2))
        #expect(gate.admit(source: "owner") == nil)
        #expect(gate.admit(source: "owner") == nil)
        #expect(gate.authenticated(source: "owner"))
        #expect(gate.authenticated(source: "owner"))
        #expect(gate.counts == (startups: 0, sessions: 2))
        // Logged-in sessions do not count against the source's startups …
        #expect(gate.admit(source: "owner") == nil)
        // … but a third session is refused.
        #expect(!gate.authenticated(source: "owner"))
        gate.closed(source: "owner", authenticated: false)
        gate.closed(source: "owner", authenticated: true)
        #expect(gate.counts == (startups: 0, sessions: 1))
    }

    @Test func refusalsAreSummedUpInOneLine() {
        let gate = ConnectionGate(limits: limits(perSource: 1, sessions: 0))
        #expect(gate.refusalSummary(seconds: 10) == nil)
        _ = gate.admit(source: "x")
        for _ in 0..<3 { _ = gate.admit(source: "x") }
        _ = gate.authenticated(source: "x")
        #expect(gate.refusalSummary(seconds: 10) == "refused 4 connections in the last 10 s: 3 over the per-source limit, 1 all sessions in use")
        #expect(gate.refusalSummary(seconds: 10) == nil)
    }
}
