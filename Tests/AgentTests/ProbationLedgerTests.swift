@testable import Agent
import Testing

@Suite struct ProbationLedgerTests {
    @Test func aSwapStillOnProbationIsPendingThenPasses() {
        var ledger = ProbationLedger()
        let serial = ledger.swapped("rtc")
        #expect(serial == 1)
        #expect(ledger.verdict(module: "rtc", serial: serial, onProbation: true) == .pending)
        #expect(ledger.verdict(module: "rtc", serial: serial, onProbation: false) == .passed)
    }

    @Test func aRollbackAnswersTheSwapItUndidEvenAfterLaterSwaps() {
        var ledger = ProbationLedger()
        let first = ledger.swapped("rtc")
        ledger.rolledBack("rtc", to: "1.0.0", reason: "rtc 1.1.0 crashed in tick: unreachable")
        let second = ledger.swapped("rtc")
        #expect(ledger.verdict(module: "rtc", serial: first, onProbation: false) == .rolledBack(to: "1.0.0", reason: "rtc 1.1.0 crashed in tick: unreachable"))
        #expect(ledger.verdict(module: "rtc", serial: second, onProbation: true) == .pending)
        // Another module's swaps are counted apart.
        #expect(ledger.swapped("fan") == 1)
    }

    @Test func aSwapReplacedByALaterOneOnProbationPassed() {
        var ledger = ProbationLedger()
        let first = ledger.swapped("rtc")
        _ = ledger.swapped("rtc")
        // Services are on probation again, but for the second swap: the first was not rolled back.
        #expect(ledger.verdict(module: "rtc", serial: first, onProbation: true) == .passed)
    }

    @Test func onlyTheLatestRollbacksAreKept() {
        var ledger = ProbationLedger()
        var serials: [Int] = []
        for index in 0..<(ProbationLedger.kept + 4) {
            serials.append(ledger.swapped("rtc"))
            ledger.rolledBack("rtc", to: "1.0.\(index)", reason: "crash \(index)")
        }
        // The oldest are forgotten (passed, as far as a waiter that late can tell), the rest kept.
        #expect(ledger.verdict(module: "rtc", serial: serials[0], onProbation: false) == .passed)
        let last = serials.count - 1
        #expect(ledger.verdict(module: "rtc", serial: serials[last], onProbation: false) == .rolledBack(to: "1.0.\(last)", reason: "crash \(last)"))
        #expect(ledger.verdict(module: "rtc", serial: serials[last - ProbationLedger.kept + 1], onProbation: false) != .passed)
    }
}
