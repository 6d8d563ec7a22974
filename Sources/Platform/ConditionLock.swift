#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with one condition variable whose timed waits run on CLOCK_MONOTONIC: the
/// simulated board's lock (waiters wake when a line changes) and the agent's mailbox.
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
            // Waits are against deadlines on the monotonic clock, immune to wall-clock steps.
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (lock held) until signalled or until the monotonic deadline passes.
    /// Spurious wake-ups happen: callers re-check their condition.
    public func wait(untilMonotonicNanoseconds deadline: UInt64) {
        var spec = timespec()
        spec.tv_sec = time_t(deadline / 1_000_000_000)
        spec.tv_nsec = Int(deadline % 1_000_000_000)
        _ = pthread_cond_timedwait(condition, mutex, &spec)
    }

    /// Before a `wait`, with the lock held: on a machine with more than one core, lets the
    /// lock go and re-checks `ready` for up to `nanoseconds`. A hand-over between two
    /// running threads costs a microsecond; a wake-up through the kernel tens of them, more
    /// in a VM (the BEAM's schedulers spin for the same reason). Returns with the lock held.
    public func spin(forNanoseconds budget: UInt64, until ready: () -> Bool) {
        guard Self.isMulticore, !ready() else { return }
        let deadline = monotonicNanoseconds() + budget
        repeat {
            pthread_mutex_unlock(mutex)
            sched_yield()
            pthread_mutex_lock(mutex)
            if ready() { return }
        } while monotonicNanoseconds() < deadline
    }

    /// One core: spinning would only keep the thread it waits for off the CPU.
    static let isMulticore = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1

    /// Wakes every waiter (lock held or not).
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
