/// One I2C adapter (`/dev/i2c-N` or a simulated bus).
///
/// The transfer vocabulary is SMBus's, because that is what libi2c offers and what
/// every common sensor and RTC speaks, plus one combined write-then-read transaction
/// (`I2C_RDWR`) for devices that need a repeated start.
/// Implementations are safe to call from several threads; each call is one transaction.
public protocol I2CBus: AnyObject, Sendable {
    /// The bus number N of `i2c-N`.
    var number: Int { get }

    /// Whether a device answers at `address` (what `i2cdetect` does, by a read-byte probe).
    func probe(_ address: I2CAddress) throws(HardwareError) -> Bool

    /// SMBus "receive byte": reads one byte at the device's current register pointer.
    func readByte(from address: I2CAddress) throws(HardwareError) -> UInt8
    /// SMBus "send byte": writes one byte, usually a register pointer or a command.
    func writeByte(_ value: UInt8, to address: I2CAddress) throws(HardwareError)
    /// SMBus "read byte data": register `register` of the device.
    func readByte(from address: I2CAddress, register: UInt8) throws(HardwareError) -> UInt8
    /// SMBus "write byte data".
    func writeByte(_ value: UInt8, to address: I2CAddress, register: UInt8) throws(HardwareError)
    /// SMBus "read word data": two bytes, low byte first, as SMBus defines.
    func readWord(from address: I2CAddress, register: UInt8) throws(HardwareError) -> UInt16
    /// SMBus "write word data": low byte first.
    func writeWord(_ value: UInt16, to address: I2CAddress, register: UInt8) throws(HardwareError)
    /// I2C-block read of `count` (1–32) consecutive registers starting at `register`.
    func readBlock(from address: I2CAddress, register: UInt8, count: Int) throws(HardwareError) -> [UInt8]
    /// I2C-block write of 1–32 bytes starting at `register`.
    func writeBlock(_ bytes: [UInt8], to address: I2CAddress, register: UInt8) throws(HardwareError)
    /// A plain I2C transaction: write `bytes` (may be empty), repeated start, read `readCount`.
    func writeRead(_ bytes: [UInt8], to address: I2CAddress, readCount: Int) throws(HardwareError) -> [UInt8]
}

extension I2CBus {
    /// A handle that remembers the address, for code that talks to one device.
    public func device(at address: I2CAddress) -> I2CDevice {
        I2CDevice(bus: self, address: address)
    }

    /// The resource name for errors about `address` on this bus.
    public func resource(_ address: I2CAddress) -> HardwareResource {
        .i2cDevice(bus: number, address: address.rawValue)
    }
}

/// The limit SMBus puts on a block transfer.
public let smbusBlockMax = 32

/// Checks a block length against the SMBus limit; shared by every backend so the
/// refusal reads the same everywhere.
public func checkBlockLength(_ count: Int, _ resource: HardwareResource) throws(HardwareError) {
    guard (1...smbusBlockMax).contains(count) else {
        throw HardwareError(.invalidArgument, resource, "block length \(count) is outside 1-\(smbusBlockMax)")
    }
}

/// The largest plain transfer accepted, i2c-dev's 8192-byte message limit.
public let i2cTransferMax = 8192

/// Checks the lengths of a write-then-read transaction; shared by every backend.
public func checkTransferLengths(write: Int, read: Int, _ resource: HardwareResource) throws(HardwareError) {
    guard read >= 0, read <= i2cTransferMax, write <= i2cTransferMax, write + read > 0 else {
        throw HardwareError(
            .invalidArgument, resource, "a transfer needs 1-\(i2cTransferMax) bytes to write or to read")
    }
}
