@testable import Agent
import Manifests
import Testing

@Suite struct ModuleOutcomesTests {
    func version(_ text: String) -> SemanticVersion { SemanticVersion(text)! }

    @Test func eachVersionIsListedOnceWithWhatBecameOfIt() {
        var outcomes = ModuleOutcomes()
        outcomes.add(.activated(version("1.0.0")))
        outcomes.add(.activated(version("1.1.0")))
        outcomes.add(.activated(version("1.10.0")))
        outcomes.add(.rolledBack(version("1.10.0"), reason: "on probation: rtc 1.10.0 crashed in tick: unreachable"))
        outcomes.add(.activated(version("1.1.0")))
        #expect(outcomes.lines(running: version("1.1.0")) == [
            "1.0.0   replaced by 1.1.0",
            "1.1.0   active",
            "1.10.0  rolled back: on probation: rtc 1.10.0 crashed in tick: unreachable",
        ])
    }

    @Test func aVersionTriedAgainAfterARollbackShowsItsLatestOutcome() {
        var outcomes = ModuleOutcomes()
        outcomes.add(.activated(version("1.0.0")))
        outcomes.add(.activated(version("1.1.0")))
        outcomes.add(.rolledBack(version("1.1.0"), reason: "by module rollback"))
        outcomes.add(.activated(version("1.0.0")))
        outcomes.add(.activated(version("1.1.0")))
        #expect(outcomes.lines(running: version("1.1.0")) == ["1.0.0  replaced by 1.1.0", "1.1.0  active"])
        // What runs is always listed, even with nothing recorded about it.
        #expect(ModuleOutcomes().lines(running: version("2.0.0")) == ["2.0.0  active"])
    }

    @Test func theJournalRoundTripsAndADamagedLineLosesOnlyItself() {
        var outcomes = ModuleOutcomes()
        outcomes.add(.activated(version("1.0.0")))
        outcomes.add(.rolledBack(version("1.1.0"), reason: "two\nlines"))
        let text = outcomes.serialized
        #expect(text == "activated 1.0.0\nrolled-back 1.1.0 two lines\n")
        let parsed = ModuleOutcomes(parsing: "garbage\nactivated one\n" + text + "activated")
        #expect(parsed.events == [.activated(version("1.0.0")), .rolledBack(version("1.1.0"), reason: "two lines")])
    }

    @Test func onlyTheLastEventsAreKept() {
        var outcomes = ModuleOutcomes()
        for patch in 0..<(ModuleOutcomes.limit + 20) { outcomes.add(.activated(SemanticVersion("1.0.\(patch % 1000)")!)) }
        #expect(outcomes.events.count == ModuleOutcomes.limit)
        #expect(outcomes.events.first == .activated(version("1.0.20")))
    }
}
