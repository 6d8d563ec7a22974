/// The last edges' delay from the kernel's timestamp of the edge to the module's handler
/// returning: the figure that says whether a service keeps up with its line. Both edge
/// sources (gpiolib's line events and the simulated board's system clock) stamp edges on
/// CLOCK_MONOTONIC, the clock the agent reads.
public struct EdgeLatency: Sendable {
    /// Median, 99th percentile and worst of the kept samples, in nanoseconds.
    public struct Summary: Sendable, Equatable {
        public let median: UInt64
        public let p99: UInt64
        public let max: UInt64
        /// Samples the figures are over (at most `capacity`).
        public let count: Int
        /// Edges seen since the service started, kept or not.
        public let total: Int
    }

    /// Enough for a stable p99 while staying a few KiB per service.
    public static let capacity = 1024
    private var samples: [UInt64] = []
    private var next = 0
    private var total = 0

    public init() {}

    /// Records one edge; a timestamp from another clock (in the future, or hours old as
    /// a virtual clock's would be) is counted but not kept.
    public mutating func record(timestamp: UInt64, handledAt now: UInt64) {
        total += 1
        guard timestamp <= now, now - timestamp < 60_000_000_000 else { return }
        if samples.count < Self.capacity {
            samples.append(now - timestamp)
        } else {
            samples[next] = now - timestamp
            next = (next + 1) % Self.capacity
        }
    }

    /// The figures over the kept samples; nil before the first edge with a usable timestamp.
    public var summary: Summary? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return Summary(
            median: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
            max: sorted[sorted.count - 1], count: sorted.count, total: total)
    }
}
