#if canImport(Glibc)
import Glibc
#endif
import Platform

/// Feeds the board's hardware watchdog (`/dev/watchdog`) from a thread of its own, but
/// only while `isAlive` says the agent's supervisor answers: a hung agent stops the
/// feeding and the watchdog resets the board. A snooze keeps feeding regardless, for a
/// while, so that someone debugging remotely is not reset under their hands.
public final class Watchdog: @unchecked Sendable {
    /// What `watchdog` on the console shows.
    public struct Status: Hashable, Sendable {
        public let device: String
        public let feeds: Int
        /// Times the agent did not answer and the watchdog went unfed.
        public let misses: Int
        public let snoozeSecondsLeft: Int
    }

    public let device: String
    let intervalNanoseconds: UInt64
    let isAlive: @Sendable () -> Bool
    private let lock = ConditionLock()
    /// Guarded by `lock`.
    private var descriptor: Int32
    private var running = false
    private var snoozeUntil: UInt64 = 0
    private var feeds = 0
    private var misses = 0

    public init(device: String, intervalSeconds: Double, isAlive: @escaping @Sendable () -> Bool) throws(AgentRefusal) {
        self.device = device
        intervalNanoseconds = UInt64(max(0.01, intervalSeconds) * 1e9)
        self.isAlive = isAlive
        // O_APPEND: a plain file standing in for the device (the simulated board) records every feed.
        descriptor = open(device, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw AgentRefusal(.device, "cannot open the watchdog \(device): \(String(cString: strerror(errno)))") }
    }

    public func start() {
        lock.withLock { running = true }
        spawnThread { [self] in
            while lock.withLock({ running }) {
                let alive = isAlive()
                lock.withLock {
                    guard running else { return }
                    if alive || monotonicNanoseconds() < snoozeUntil {
                        var byte: UInt8 = 0
                        if write(descriptor, &byte, 1) == 1 { feeds += 1 }
                    } else {
                        misses += 1
                    }
                    lock.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + intervalNanoseconds)
                }
            }
        }
    }

    /// Stops feeding. `disarm` writes the magic 'V' first, so a driver without
    /// `nowayout` stops counting (a clean exit); otherwise the watchdog stays armed.
    public func stop(disarm: Bool) {
        lock.withLock {
            running = false
            if disarm, descriptor >= 0 {
                var magic = UInt8(ascii: "V")
                _ = write(descriptor, &magic, 1)
            }
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
            lock.broadcast()
        }
    }

    /// Keeps feeding for `seconds` even if the agent does not answer; 0 ends a snooze.
    public func snooze(seconds: Int) {
        lock.withLock { snoozeUntil = seconds > 0 ? monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000 : 0 }
    }

    public var status: Status {
        lock.withLock {
            let now = monotonicNanoseconds()
            return Status(
                device: device, feeds: feeds, misses: misses,
                snoozeSecondsLeft: snoozeUntil > now ? Int((snoozeUntil - now + 999_999_999) / 1_000_000_000) : 0)
        }
    }
}
