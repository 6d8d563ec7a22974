#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Hardware

/// Where a failed system call happened, which decides what an errno means: ENODEV when
/// opening a bus is a missing bus, but during a transfer (i2c-stub) a missing device.
enum SystemCallContext {
    case open
    case transfer
    case request
}

/// errno → `HardwareError`, in one place for every Linux call.
func hardwareError(
    errno code: Int32, _ resource: HardwareResource, _ operation: String, context: SystemCallContext
) -> HardwareError {
    let text = "\(operation): \(String(cString: strerror(code)))"
    switch code {
    case ENOENT:
        return HardwareError(.noDevice, resource, text)
    case ENODEV:
        return HardwareError(context == .transfer ? .nack : .noDevice, resource, text)
    case ENXIO, EREMOTEIO:
        return HardwareError(.nack, resource, text)
    case ETIMEDOUT, EAGAIN:
        return HardwareError(.timeout, resource, text)
    case EBUSY:
        return HardwareError(.busy, resource, text)
    case EACCES, EPERM:
        return HardwareError(.permission, resource, text)
    case EINVAL, ERANGE, EOVERFLOW, EMSGSIZE:
        return HardwareError(.invalidArgument, resource, text)
    case EOPNOTSUPP:
        return HardwareError(.unsupported, resource, text)
    default:
        return HardwareError(.io, resource, text)
    }
}

/// Runs a call that returns -1 and sets errno on failure, retrying on EINTR, so no
/// caller handles interrupted calls itself.
func retryingOnInterrupt(_ call: () -> Int32) -> (result: Int32, errno: Int32) {
    while true {
        let result = call()
        if result >= 0 { return (result, 0) }
        let code = errno
        if code != EINTR { return (result, code) }
    }
}
