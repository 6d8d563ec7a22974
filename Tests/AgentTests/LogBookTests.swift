import Agent
import Foundation
import Synchronization
import Testing

/// What one source can do to the log: one line per call, no control characters, its own
/// lines kept apart from the others', a rate limit that says what it dropped.
@Suite struct LogBookTests {
    final class Echoed: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    @Test func aLineCannotMoveTheCursorOrForgeAnother() {
        let echoed = Echoed()
        let log = LogBook(echo: { echoed.append($0) })
        log.add("info", "ok\r\n[0.000] error rtc: FORGED LINE\u{1B}[2J\u{07}\0\u{9B}\u{202E}", service: "button", at: 1_000_000_000)
        let line = try! #require(echoed.lines.withLock { $0.first })
        #expect(echoed.lines.withLock { $0.count } == 1)
        #expect(line == #"[1.000] info button: ok\r\n[0.000] error rtc: FORGED LINE\x1b[2J\x07\x00\x9b\u{202e}"#)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
    }

    @Test func aLongLineIsCut() {
        let log = LogBook(echo: { _ in })
        log.add("info", String(repeating: "é", count: 1000), service: "a", at: 0)
        let message = log.last(1, service: "a")[0].message
        #expect(message.utf8.count <= LogBook.maximumMessageBytes + "…".utf8.count)
        #expect(message.hasSuffix("…"))
    }

    @Test func aFloodIsRateLimitedAndSaysWhatItDropped() throws {
        let log = LogBook(echo: { _ in })
        for index in 0..<5000 { log.add("info", "flood \(index)", service: "noisy", at: 0) }
        let kept = log.last(LogBook.capacity, service: "noisy")
        // The burst, and the few that the refill allowed while the loop ran.
        #expect(kept.count >= Int(LogBook.burst) && kept.count < 400, "\(kept.count)")
        #expect(log.dropped(service: "noisy") > 4000)
        usleep(100_000)
        log.add("info", "after the flood", service: "noisy", at: 0)
        let tail = log.last(2, service: "noisy").map(\.message)
        #expect(tail[0].hasSuffix("lines dropped (over 50 lines/s)"), "\(tail)")
        #expect(tail[1] == "after the flood")
        #expect(log.dropped(service: "noisy") == 0)
    }

    @Test func oneSourcesFloodKeepsTheOthersLines() {
        let log = LogBook(echo: { _ in })
        log.add("info", "pressed", service: "button", at: 0)
        log.add("info", "agent started", at: 0)
        for index in 0..<200 { log.add("info", "flood \(index)", service: "noisy", at: 0) }
        #expect(log.last(20, service: "button").map(\.message) == ["pressed"])
        #expect(log.last(20, service: nil).count == 20)
        // The merged view is in order across sources.
        let all = log.last(LogBook.capacity)
        #expect(all.map(\.sequence) == all.map(\.sequence).sorted())
        #expect(all.first?.message == "pressed")
        #expect(log.since(all[1].sequence).count == all.count - 2)
    }
}
