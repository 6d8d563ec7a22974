import Hardware
import Synchronization

/// The simulated board's system clock: monotonic time from the simulation clock, wall
/// time from its start plus an offset that `setWall` moves, and a synchronized flag the
/// console toggles (`sim ntp on|off`) to play "NTP has (not) answered yet".
public final class SimulatedSystemTime: SystemTime {
    private let clock: any SimulationClock
    private let state: Mutex<(offset: Int64, synchronized: Bool)>

    public init(clock: any SimulationClock, synchronized: Bool = false) {
        self.clock = clock
        state = Mutex((0, synchronized))
    }

    public var monotonicNanoseconds: Int64 { Int64(clock.nowNanoseconds) }
    public var wallNanoseconds: Int64 { clock.wallNanoseconds + state.withLock { $0.offset } }
    public var isSynchronized: Bool { state.withLock { $0.synchronized } }

    public func setSynchronized(_ synchronized: Bool) {
        state.withLock { $0.synchronized = synchronized }
    }

    public func setWall(nanoseconds: Int64) throws(HardwareError) {
        let base = clock.wallNanoseconds
        state.withLock { $0.offset = nanoseconds - base }
    }
}
