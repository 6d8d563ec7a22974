import Agent
import Foundation
import Synchronization
import Testing

/// What one source can do to the log: one line per call, no control characters, its own
/// lines kept apart from the others', a rate limit that says what it dropped.
@Suite struct LogBookTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        let now = Mutex<UInt64>(1_000_000_000)
        func advance(milliseconds: UInt64) { now.withLock { $0 += milliseconds * 1_000_000 } }
        func read() -> UInt64 { now.withLock { $0 } }
    }

    final class Echoed: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    @Test func aLineCannotMoveTheCursorOrForgeAnother() {
        let echoed = Echoed()
        let log = LogBook(echo: { echoed.append($0) })
        log.add(.info, "ok\r\n[0.000] error rtc: FORGED LINE\u{1B}[2J\u{07}\0\u{9B}\u{202E}", service: "button", at: 1_000_000_000)
        let line = try! #require(echoed.lines.withLock { $0.first })
        #expect(echoed.lines.withLock { $0.count } == 1)
        #expect(line == #"[1.000] info button: ok\r\n[0.000] error rtc: FORGED LINE\x1b[2J\x07\x00\x9b\u{202e}"#)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
    }

    @Test func aLongLineIsCut() {
        let log = LogBook(echo: { _ in })
        log.add(.info, String(repeating: "é", count: 1000), service: "a", at: 0)
        let message = log.last(1, service: "a")[0].message
        #expect(message.utf8.count <= LogBook.maximumMessageBytes + "…".utf8.count)
        #expect(message.hasSuffix("…"))
    }

    @Test func aFloodIsRateLimitedAndSaysWhatItDropped() throws {
        let clock = TestClock()
        let log = LogBook(echo: { _ in }, clock: { clock.read() })
        for index in 0..<5000 { log.add(.info, "flood \(index)", service: "noisy", at: 0) }
        // The burst, and not a line more while no time passes.
        #expect(log.last(LogBook.capacity, service: "noisy").count == Int(LogBook.burst))
        #expect(log.dropped(service: "noisy") == 5000 - Int(LogBook.burst))
        // A second later: 50 more lines' worth; the first says what was dropped.
        clock.advance(milliseconds: 1000)
        for index in 0..<100 { log.add(.info, "later \(index)", service: "noisy", at: 0) }
        let kept = log.last(LogBook.capacity, service: "noisy").map(\.message)
        #expect(kept.filter { $0.hasPrefix("later ") }.count == 50)
        #expect(kept.contains("\(5000 - Int(LogBook.burst)) lines dropped (over 50 lines/s)"))
        #expect(log.dropped(service: "noisy") == 50)
        clock.advance(milliseconds: 100)
        log.add(.info, "after the flood", service: "noisy", at: 0)
        let tail = log.last(2, service: "noisy").map(\.message)
        #expect(tail[0] == "50 lines dropped (over 50 lines/s)", "\(tail)")
        #expect(tail[1] == "after the flood")
        #expect(log.dropped(service: "noisy") == 0)
        // The clock going back (another thread's older reading) refills nothing.
        let before = log.last(LogBook.capacity, service: "other").count
        for _ in 0..<300 { log.add(.info, "x", service: "other", at: 0) }
        clock.now.withLock { $0 -= 500_000_000 }
        log.add(.info, "y", service: "other", at: 0)
        #expect(log.last(LogBook.capacity, service: "other").count == before + Int(LogBook.burst))
    }

    @Test func oneSourcesFloodKeepsTheOthersLines() {
        let log = LogBook(echo: { _ in })
        log.add(.info, "pressed", service: "button", at: 0)
        log.add(.info, "agent started", at: 0)
        for index in 0..<200 { log.add(.info, "flood \(index)", service: "noisy", at: 0) }
        #expect(log.last(20, service: "button").map(\.message) == ["pressed"])
        #expect(log.last(20, service: nil).count == 20)
        // The merged view is in order across sources.
        let all = log.last(LogBook.capacity)
        #expect(all.map(\.sequence) == all.map(\.sequence).sorted())
        #expect(all.first?.message == "pressed")
        #expect(log.since(all[1].sequence).count == all.count - 2)
    }
}
