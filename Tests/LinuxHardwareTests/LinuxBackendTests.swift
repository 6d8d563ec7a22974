#if canImport(Glibc)
import Glibc
#endif
import Hardware
@testable import LinuxHardware
import Testing

/// What can be checked without i2c-dev or a GPIO chip on the test machine: opening
/// what is not there, and the errno mapping. The QEMU tier runs the rest.
@Suite struct LinuxBackendTests {
    @Test func aMissingBusIsNoDeviceNamingTheBusAndPath() {
        #expect {
            _ = try LinuxBoard(deviceDirectory: "/nonexistent").i2cBus(3)
        } throws: { error in
            guard let error = error as? HardwareError else { return false }
            return error.kind == .noDevice && error.resource == .i2cBus(3) && error.detail.contains("/nonexistent/i2c-3")
        }
    }

    @Test func refusesBusNumbersOutOfRange() {
        #expect {
            _ = try LinuxBoard().i2cBus(-1)
        } throws: { error in
            (error as? HardwareError)?.kind == .invalidArgument
        }
    }

    @Test func aFileThatIsNotAnAdapterFailsTheTransferNotTheProcess() throws {
        // /dev/null opens, but I2C_SLAVE on it is ENOTTY: an I/O error naming the device.
        let bus = try LinuxI2CBus(number: 9, path: "/dev/null")
        #expect {
            _ = try bus.readByte(from: I2CAddress(0x68, bus: 9), register: 0)
        } throws: { error in
            guard let error = error as? HardwareError else { return false }
            return error.kind == .io && error.resource == .i2cDevice(bus: 9, address: 0x68)
        }
        #expect(throws: HardwareError.self) { try bus.readBlock(from: I2CAddress(0x68, bus: 9), register: 0, count: 40) }
    }

    @Test func aMissingChipIsNoDevice() {
        #expect {
            _ = try LinuxBoard().gpioChip("gpiochip-does-not-exist")
        } throws: { error in
            (error as? HardwareError)?.kind == .noDevice
        }
        #expect(throws: HardwareError.self) { try LinuxBoard().gpioChip("") }
    }

    @Test func listsOnlyNumberedDeviceNodes() {
        #expect(LinuxBoard(deviceDirectory: "/nonexistent").i2cBusNumbers().isEmpty)
        #expect(LinuxBoard(buses: [1, 3]).i2cBusNumbers() == [1, 3])
        #expect(LinuxBoard(chips: ["gpiochip0"]).gpioChipNames() == ["gpiochip0"])
    }

    @Test(arguments: [
        (ENOENT, SystemCallContext.open, HardwareError.Kind.noDevice),
        (ENODEV, .open, .noDevice),
        (ENODEV, .transfer, .nack),
        (ENXIO, .transfer, .nack),
        (EREMOTEIO, .transfer, .nack),
        (ETIMEDOUT, .transfer, .timeout),
        (EAGAIN, .transfer, .timeout),
        (EBUSY, .request, .busy),
        (EACCES, .open, .permission),
        (EPERM, .open, .permission),
        (EINVAL, .request, .invalidArgument),
        (EOPNOTSUPP, .transfer, .unsupported),
        (EIO, .transfer, .io),
    ])
    func mapsErrnoToKinds(code: Int32, context: SystemCallContext, kind: HardwareError.Kind) {
        let error = hardwareError(errno: code, .i2cBus(1), "op", context: context)
        #expect(error.kind == kind)
        #expect(error.detail.hasPrefix("op: "))
    }

    @Test func retriesInterruptedCallsOnly() {
        var calls = 0
        let result = retryingOnInterrupt {
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result.result == 7 && calls == 3)
        let failure = retryingOnInterrupt {
            errno = EIO
            return -1
        }
        #expect(failure.errno == EIO)
    }
}
