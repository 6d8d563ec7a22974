#if canImport(Glibc)
import Glibc
#endif

/// The figures of one run, by key, for the table beside Erlang/OTP.
struct Figures {
    struct Timing {
        let label: String
        let median: UInt64
        let p99: UInt64
        let max: UInt64
        let count: Int
    }

    var timings: [String: Timing] = [:]
    var sizes: [String: (label: String, kilobytes: Int)] = [:]
    var soak: (swaps: Int, sent: Int, lost: Int, growthKilobytes: Int)?

    /// Sorts the samples, keeps median / p99 / max, and prints the line.
    mutating func add(_ key: String, _ label: String, _ samples: [UInt64]) {
        let sorted = samples.sorted()
        guard let last = sorted.last else { return }
        let timing = Timing(
            label: label, median: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)], max: last,
            count: sorted.count)
        timings[key] = timing
        print("\(Self.pad(label)) median \(Self.show(timing.median).padding(toLength: 12, withPad: " ", startingAt: 0)) p99 \(Self.show(timing.p99).padding(toLength: 12, withPad: " ", startingAt: 0)) max \(Self.show(timing.max))  (n=\(timing.count))")
        // Line by line even into a file or a pipe, so a long run shows its progress.
        fflush(nil)
    }

    mutating func add(size key: String, _ label: String, kilobytes: Int) {
        sizes[key] = (label, kilobytes)
        print("\(Self.pad(label)) \(Self.megabytes(kilobytes))")
        fflush(nil)
    }

    /// Labels in a column of 44, a longer one whole.
    static func pad(_ label: String) -> String {
        label.count >= 44 ? label : label.padding(toLength: 44, withPad: " ", startingAt: 0)
    }

    static func show(_ nanoseconds: UInt64) -> String {
        nanoseconds >= 1_000_000 ? "\(Double(nanoseconds / 1000) / 1000) ms" : "\(Double(nanoseconds / 10) / 100) µs"
    }

    static func megabytes(_ kilobytes: Int) -> String {
        "\(Double(kilobytes * 10 / 1024) / 10) MB"
    }
}
