import Agent
import Testing

@Suite struct EdgeLatencyTests {
    @Test func summarisesMedianP99AndMaxOfTheKeptSamples() throws {
        var latency = EdgeLatency()
        #expect(latency.summary == nil)
        for delay in 1...100 { latency.record(timestamp: 1_000, handledAt: 1_000 + UInt64(delay) * 1_000) }
        let summary = try #require(latency.summary)
        #expect(summary.median == 51_000)
        #expect(summary.p99 == 100_000)
        #expect(summary.max == 100_000)
        #expect(summary.count == 100 && summary.total == 100)
    }

    @Test func timestampsFromAnotherClockAreCountedButNotKept() throws {
        var latency = EdgeLatency()
        latency.record(timestamp: 5_000, handledAt: 4_000)
        latency.record(timestamp: 0, handledAt: 3_600_000_000_000)
        #expect(latency.summary == nil)
        latency.record(timestamp: 10, handledAt: 20)
        #expect(latency.summary?.total == 3)
        #expect(latency.summary?.count == 1)
    }

    @Test func keepsOnlyTheLastSamples() throws {
        var latency = EdgeLatency()
        for _ in 0..<EdgeLatency.capacity { latency.record(timestamp: 0, handledAt: 1_000_000) }
        for _ in 0..<EdgeLatency.capacity { latency.record(timestamp: 0, handledAt: 10) }
        let summary = try #require(latency.summary)
        #expect(summary.max == 10)
        #expect(summary.count == EdgeLatency.capacity && summary.total == 2 * EdgeLatency.capacity)
    }
}
