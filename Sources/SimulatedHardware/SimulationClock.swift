#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The time base of a simulated board: monotonic nanoseconds for edges and device
/// models, plus the wall time those nanoseconds started at (for clocks seeded "now").
public protocol SimulationClock: AnyObject, Sendable {
    /// Monotonic nanoseconds, never decreasing.
    var nowNanoseconds: UInt64 { get }
    /// Unix time in nanoseconds at which `nowNanoseconds` was zero.
    var wallNanosecondsAtZero: Int64 { get }
    /// A virtual clock only moves when told to; a waiter makes it jump to its deadline
    /// instead of sleeping, which keeps tests deterministic and fast.
    var isVirtual: Bool { get }
    /// Moves a virtual clock forward to `nanoseconds` (never backwards). A real clock
    /// ignores this.
    func advance(toNanoseconds nanoseconds: UInt64)
}

extension SimulationClock {
    /// Unix time now, in nanoseconds.
    public var wallNanoseconds: Int64 { wallNanosecondsAtZero + Int64(nowNanoseconds) }

    public func advance(byNanoseconds delta: UInt64) {
        advance(toNanoseconds: nowNanoseconds + delta)
    }
}

/// The test clock: starts at one second of monotonic time and a fixed wall time, and
/// moves only through `advance`.
public final class ManualClock: SimulationClock {
    private let now: Atomic<UInt64>
    public let wallNanosecondsAtZero: Int64

    /// `wallSeconds` is the Unix time at which the clock starts (default 2026-01-01 00:00 UTC).
    public init(startNanoseconds: UInt64 = 1_000_000_000, wallSeconds: Int64 = 1_767_225_600) {
        now = Atomic(startNanoseconds)
        wallNanosecondsAtZero = wallSeconds * 1_000_000_000 - Int64(startNanoseconds)
    }

    public var nowNanoseconds: UInt64 { now.load(ordering: .acquiring) }
    public var isVirtual: Bool { true }

    public func advance(toNanoseconds nanoseconds: UInt64) {
        var current = now.load(ordering: .relaxed)
        while nanoseconds > current {
            let (exchanged, original) = now.compareExchange(
                expected: current, desired: nanoseconds, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }
}

/// Real time: CLOCK_MONOTONIC for the simulation, CLOCK_REALTIME to seed wall clocks.
public final class SystemClock: SimulationClock {
    public let wallNanosecondsAtZero: Int64

    public init() {
        wallNanosecondsAtZero = SystemClock.read(CLOCK_REALTIME) - SystemClock.read(CLOCK_MONOTONIC)
    }

    public var nowNanoseconds: UInt64 { UInt64(SystemClock.read(CLOCK_MONOTONIC)) }
    public var isVirtual: Bool { false }
    public func advance(toNanoseconds nanoseconds: UInt64) {}

    /// clock_gettime(2) for one clock, in nanoseconds.
    static func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
