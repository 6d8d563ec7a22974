import Foundation
import Platform
@testable import RemoteAccess
import Testing

/// The bound on what a session's command may have written that SSH has not taken.
@Suite struct OutputBudgetTests {
    @Test func writesPassUnderTheLimit() {
        let budget = OutputBudget(limit: 100, patienceNanoseconds: 1_000_000_000)
        #expect(budget.reserve(60, stop: StopFlag()) == .granted)
        #expect(budget.reserve(40, stop: StopFlag()) == .granted)
        #expect(budget.pending == 100)
        budget.written(100)
        #expect(budget.pending == 0)
        // One write larger than the limit still goes when nothing is waiting.
        #expect(budget.reserve(500, stop: StopFlag()) == .granted)
    }

    @Test func aClientThatStopsReadingIsDroppedAfterThePatience() {
        let budget = OutputBudget(limit: 100, patienceNanoseconds: 200_000_000)
        #expect(budget.reserve(100, stop: StopFlag()) == .granted)
        let start = ContinuousClock.now
        #expect(budget.reserve(1, stop: StopFlag()) == .unread)
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(budget.drop())
        #expect(!budget.drop(), "dropped once")
        #expect(budget.pending == 100, "nothing more was queued")
    }

    @Test func aWriterWaitsForTheClientAndGoesOnWhenItReads() throws {
        let budget = OutputBudget(limit: 100, patienceNanoseconds: 5_000_000_000)
        #expect(budget.reserve(100, stop: StopFlag()) == .granted)
        final class Flag: @unchecked Sendable {
            private let lock = NSLock()
            private var value = false
            var isSet: Bool { lock.withLock { value } }
            func set() { lock.withLock { value = true } }
        }
        let done = Flag()
        let writer = Thread { if budget.reserve(50, stop: StopFlag()) == .granted { done.set() } }
        writer.start()
        usleep(100_000)
        #expect(!done.isSet, "held back while the client reads nothing")
        budget.written(100)
        var waited = 0
        while !done.isSet, waited < 200 { usleep(10_000); waited += 1 }
        #expect(done.isSet)
    }

    /// Ctrl-C while waiting ends the command, not the connection.
    @Test func aStoppedCommandStopsWaitingAndKeepsItsClient() {
        let budget = OutputBudget(limit: 10, patienceNanoseconds: 60_000_000_000)
        #expect(budget.reserve(10, stop: StopFlag()) == .granted)
        let stop = StopFlag()
        stop.set()
        #expect(budget.reserve(1, stop: stop) == .stopped)
        #expect(budget.drop(), "not dropped by the stop")
    }
}
