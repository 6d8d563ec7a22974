#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One lock for a whole simulated board, with a condition that is signalled whenever a
/// line changes, so edge waiters on a real clock wake without polling.
///
/// Device models and line state are only touched with this lock held; that is what
/// makes the board's `@unchecked Sendable` parts safe.
final class SimulatorLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
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

    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (lock held) until signalled or until the monotonic deadline passes.
    func wait(untilMonotonicNanoseconds deadline: UInt64) {
        var spec = timespec()
        spec.tv_sec = time_t(deadline / 1_000_000_000)
        spec.tv_nsec = Int(deadline % 1_000_000_000)
        _ = pthread_cond_timedwait(condition, mutex, &spec)
    }

    /// Wakes every waiter (lock held or not).
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
