#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CI2C
import Hardware
import Synchronization

/// `/dev/i2c-N` through libi2c's `i2c_smbus_*` calls.
///
/// The device file is opened once; because the target address is state of the open file
/// (`I2C_SLAVE`), each transfer selects its address and runs under one lock.
public final class LinuxI2CBus: I2CBus {
    public let number: Int
    public let path: String
    private let descriptor: Mutex<Int32>

    /// Opens `/dev/i2c-<number>` (or `path` when given, for tests and odd layouts).
    public init(number: Int, path: String? = nil) throws(HardwareError) {
        self.number = number
        let path = path ?? "/dev/i2c-\(number)"
        self.path = path
        let (fd, code) = retryingOnInterrupt { open(path, O_RDWR | O_CLOEXEC) }
        guard fd >= 0 else {
            throw hardwareError(errno: code, .i2cBus(number), "open \(path)", context: .open)
        }
        descriptor = Mutex(fd)
    }

    deinit {
        descriptor.withLock { fd in _ = close(fd) }
    }

    /// Selects `address`, then runs `body` with the descriptor: one SMBus transfer.
    private func transfer<Result>(
        _ address: I2CAddress, _ operation: String, _ body: (Int32) -> (Result?, Int32)
    ) throws(HardwareError) -> Result {
        try descriptor.withLock { fd throws(HardwareError) -> Result in
            let (selected, selectCode) = retryingOnInterrupt { midflight_i2c_select(fd, address.rawValue) }
            guard selected >= 0 else {
                var error = hardwareError(errno: selectCode, resource(address), "select address", context: .transfer)
                if selectCode == EBUSY { error.detail += " (a kernel driver is bound to this address)" }
                throw error
            }
            let (value, code) = body(fd)
            guard let value else {
                throw hardwareError(errno: code, resource(address), operation, context: .transfer)
            }
            return value
        }
    }

    /// An SMBus call returning a non-negative value or -1 with errno.
    private func smbus(_ call: () -> Int32) -> (Int32?, Int32) {
        let (result, code) = retryingOnInterrupt(call)
        return result >= 0 ? (result, 0) : (nil, code)
    }

    public func probe(_ address: I2CAddress) throws(HardwareError) -> Bool {
        // i2cdetect's default: a read-byte probe where a quick write could corrupt an
        // EEPROM (0x30–0x37, 0x50–0x5F), a quick write elsewhere if the adapter has one.
        let readRanges: [ClosedRange<UInt16>] = [0x30...0x37, 0x50...0x5F]
        do {
            _ = try transfer(address, "probe") { fd -> (Int32?, Int32) in
                var functions: UInt = 0
                let quick =
                    midflight_i2c_functionality(fd, &functions) >= 0
                    && functions & midflight_i2c_func_smbus_quick != 0
                if quick, !readRanges.contains(where: { $0.contains(address.rawValue) }) {
                    return smbus { i2c_smbus_write_quick(fd, UInt8(I2C_SMBUS_WRITE)) }
                }
                return smbus { i2c_smbus_read_byte(fd) }
            }
            return true
        } catch where error.kind == .nack || error.kind == .noDevice {
            return false
        }
    }

    public func readByte(from address: I2CAddress) throws(HardwareError) -> UInt8 {
        UInt8(truncatingIfNeeded: try transfer(address, "read byte") { fd in smbus { i2c_smbus_read_byte(fd) } })
    }

    public func writeByte(_ value: UInt8, to address: I2CAddress) throws(HardwareError) {
        _ = try transfer(address, "write byte") { fd in smbus { i2c_smbus_write_byte(fd, value) } }
    }

    public func readByte(from address: I2CAddress, register: UInt8) throws(HardwareError) -> UInt8 {
        UInt8(
            truncatingIfNeeded: try transfer(address, "read register \(hex(register))") { fd in
                smbus { i2c_smbus_read_byte_data(fd, register) }
            })
    }

    public func writeByte(_ value: UInt8, to address: I2CAddress, register: UInt8) throws(HardwareError) {
        _ = try transfer(address, "write register \(hex(register))") { fd in
            smbus { i2c_smbus_write_byte_data(fd, register, value) }
        }
    }

    public func readWord(from address: I2CAddress, register: UInt8) throws(HardwareError) -> UInt16 {
        UInt16(
            truncatingIfNeeded: try transfer(address, "read word \(hex(register))") { fd in
                smbus { i2c_smbus_read_word_data(fd, register) }
            })
    }

    public func writeWord(_ value: UInt16, to address: I2CAddress, register: UInt8) throws(HardwareError) {
        _ = try transfer(address, "write word \(hex(register))") { fd in
            smbus { i2c_smbus_write_word_data(fd, register, value) }
        }
    }

    public func readBlock(from address: I2CAddress, register: UInt8, count: Int) throws(HardwareError) -> [UInt8] {
        try checkBlockLength(count, resource(address))
        return try transfer(address, "read block \(hex(register))") { fd -> ([UInt8]?, Int32) in
            var buffer = [UInt8](repeating: 0, count: smbusBlockMax)
            let (result, code) = retryingOnInterrupt { i2c_smbus_read_i2c_block_data(fd, register, UInt8(count), &buffer) }
            guard result >= 0 else { return (nil, code) }
            // A short read is a failure too: the caller asked for `count` registers.
            guard Int(result) == count else { return (nil, EIO) }
            return (Array(buffer.prefix(count)), 0)
        }
    }

    public func writeBlock(_ bytes: [UInt8], to address: I2CAddress, register: UInt8) throws(HardwareError) {
        try checkBlockLength(bytes.count, resource(address))
        _ = try transfer(address, "write block \(hex(register))") { fd in
            smbus { i2c_smbus_write_i2c_block_data(fd, register, UInt8(bytes.count), bytes) }
        }
    }

    public func writeRead(_ bytes: [UInt8], to address: I2CAddress, readCount: Int) throws(HardwareError) -> [UInt8] {
        try checkTransferLengths(write: bytes.count, read: readCount, resource(address))
        return try descriptor.withLock { fd throws(HardwareError) -> [UInt8] in
            var input = [UInt8](repeating: 0, count: readCount)
            let (result, code) = retryingOnInterrupt {
                midflight_i2c_write_read(
                    fd, address.rawValue, bytes, UInt16(bytes.count), &input, UInt16(readCount))
            }
            guard result >= 0 else {
                throw hardwareError(errno: code, resource(address), "write-read transfer", context: .transfer)
            }
            return input
        }
    }
}
