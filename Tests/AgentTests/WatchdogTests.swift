import Agent
import Foundation
import Synchronization
import Testing

/// The watchdog feeder against a plain file standing in for /dev/watchdog: each feed is
/// one byte appended.
@Suite struct WatchdogTests {
    func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? -1
    }

    func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func itFeedsOnlyWhileTheAgentAnswersUnlessSnoozed() throws {
        let path = NSTemporaryDirectory() + "midflight-watchdog-\(getpid())-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let alive = Atomic(true)
        let watchdog = try Watchdog(device: path, intervalSeconds: 0.02) { alive.load(ordering: .relaxed) }
        watchdog.start()
        #expect(waitUntil { size(path) >= 3 })

        alive.store(false, ordering: .relaxed)
        #expect(waitUntil { watchdog.status.misses >= 2 })
        let unfed = size(path)
        #expect(waitUntil { watchdog.status.misses >= 6 })
        #expect(size(path) == unfed, "a hung agent is not fed for")

        watchdog.snooze(seconds: 60)
        #expect(waitUntil { size(path) >= unfed + 3 }, "a snooze feeds regardless")
        #expect(watchdog.status.snoozeSecondsLeft > 0)
        watchdog.snooze(seconds: 0)
        #expect(watchdog.status.snoozeSecondsLeft == 0)

        watchdog.stop(disarm: true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.last == UInt8(ascii: "V"), "a clean stop writes the magic close")
        #expect(bytes.dropLast().allSatisfy { $0 == 0 })
    }

    @Test func aMissingDeviceIsAClearError() {
        #expect {
            try Watchdog(device: "/nonexistent/watchdog", intervalSeconds: 1) { true }
        } throws: { error in
            "\(error)".contains("cannot open the watchdog /nonexistent/watchdog")
        }
    }
}
