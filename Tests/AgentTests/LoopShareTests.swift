@testable import Agent
import Testing

/// The bound on how much of the loop one service's events may take together.
@Suite struct LoopShareTests {
    @Test func shortEventsNeverAddUpToACrash() {
        var share = LoopShare()
        // A 1 ms tick taking 0.4 ms: 40 % of the loop, for ten seconds.
        for tick in 0..<10_000 { #expect(share.add(busy: 400_000, at: UInt64(tick) * 1_000_000) == nil) }
    }

    @Test func eventsHoldingMoreThanHalfOfASecondAreStopped() {
        var share = LoopShare()
        var verdict: String?
        // A 1 ms tick that takes 0.9 ms, each within any budget.
        for tick in 0..<1000 where verdict == nil {
            verdict = share.add(busy: 900_000, at: UInt64(tick) * 1_000_000)
        }
        #expect(verdict?.hasPrefix("held the agent loop 500 ms of 1000 ms") == true, "\(verdict ?? "none")")
    }

    @Test func theCountStartsAgainEachSecond() {
        var share = LoopShare()
        #expect(share.add(busy: 400_000_000, at: 0) == nil)
        #expect(share.add(busy: 400_000_000, at: 1_000_000_000) == nil)
        #expect(share.add(busy: 200_000_000, at: 1_500_000_000) != nil)
    }
}
