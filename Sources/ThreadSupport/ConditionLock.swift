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

    /// Wakes every waiter (lock held or not).
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
