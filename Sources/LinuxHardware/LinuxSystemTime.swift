#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Hardware

/// CLOCK_MONOTONIC, CLOCK_REALTIME, `adjtimex` for the synchronized flag, `clock_settime`.
public final class LinuxSystemTime: SystemTime {
    public init() {}

    public var monotonicNanoseconds: Int64 { read(CLOCK_MONOTONIC) }
    public var wallNanoseconds: Int64 { read(CLOCK_REALTIME) }

    public var isSynchronized: Bool { midflight_clock_is_synchronized() == 1 }

    public func setWall(nanoseconds: Int64) throws(HardwareError) {
        var spec = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        guard clock_settime(CLOCK_REALTIME, &spec) == 0 else {
            throw hardwareError(errno: errno, .board("system clock"), "set the wall clock", context: .request)
        }
    }

    private func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
