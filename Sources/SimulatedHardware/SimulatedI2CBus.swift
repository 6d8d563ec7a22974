import Hardware

/// A simulated I2C adapter with device models at addresses, and the faults of its board.
public final class SimulatedI2CBus: I2CBus, @unchecked Sendable {
    public let number: Int
    private let core: SimulatorCore
    /// Guarded by the board lock.
    private var devices: [UInt16: any I2CDeviceModel] = [:]

    init(number: Int, core: SimulatorCore) {
        self.number = number
        self.core = core
    }

    /// Attaches a device model; caller holds the lock or owns the board exclusively.
    func attach(_ model: any I2CDeviceModel, at address: UInt16) {
        devices[address] = model
    }

    /// The model at `address`; caller holds the lock.
    func model(at address: UInt16) -> (any I2CDeviceModel)? {
        devices[address]
    }

    /// Addresses with a model attached, removed or not.
    func attachedAddresses() -> [UInt16] {
        devices.keys.sorted()
    }

    private func answers(_ address: UInt16) throws(HardwareError) -> (any I2CDeviceModel)? {
        if core.faults.contains(.i2cBusTimeout(bus: number)) {
            throw HardwareError(.timeout, .i2cDevice(bus: number, address: address), "bus timeout (SDA held low)")
        }
        if core.faults.contains(.i2cDeviceRemoved(bus: number, address: address))
            || core.faults.contains(.i2cNack(bus: number, address: address))
        {
            return nil
        }
        return devices[address]
    }

    /// One transaction: an optional write, then (after a repeated start) an optional read.
    private func transfer(_ address: I2CAddress, write: [UInt8], readCount: Int) throws(HardwareError) -> [UInt8] {
        try core.lock.withLock { () throws(HardwareError) -> [UInt8] in
            guard let model = try answers(address.rawValue) else {
                throw HardwareError(.nack, resource(address), "no device acknowledged the address")
            }
            let now = core.clock.nowNanoseconds
            if !write.isEmpty { model.receive(write, at: now) }
            return readCount > 0 ? model.transmit(count: readCount, at: now) : []
        }
    }

    public func probe(_ address: I2CAddress) throws(HardwareError) -> Bool {
        try core.lock.withLock { () throws(HardwareError) -> Bool in try answers(address.rawValue) != nil }
    }

    public func readByte(from address: I2CAddress) throws(HardwareError) -> UInt8 {
        try transfer(address, write: [], readCount: 1)[0]
    }

    public func writeByte(_ value: UInt8, to address: I2CAddress) throws(HardwareError) {
        _ = try transfer(address, write: [value], readCount: 0)
    }

    public func readByte(from address: I2CAddress, register: UInt8) throws(HardwareError) -> UInt8 {
        try transfer(address, write: [register], readCount: 1)[0]
    }

    public func writeByte(_ value: UInt8, to address: I2CAddress, register: UInt8) throws(HardwareError) {
        _ = try transfer(address, write: [register, value], readCount: 0)
    }

    public func readWord(from address: I2CAddress, register: UInt8) throws(HardwareError) -> UInt16 {
        let bytes = try transfer(address, write: [register], readCount: 2)
        return UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    }

    public func writeWord(_ value: UInt16, to address: I2CAddress, register: UInt8) throws(HardwareError) {
        _ = try transfer(address, write: [register, UInt8(value & 0xFF), UInt8(value >> 8)], readCount: 0)
    }

    public func readBlock(from address: I2CAddress, register: UInt8, count: Int) throws(HardwareError) -> [UInt8] {
        try checkBlockLength(count, resource(address))
        return try transfer(address, write: [register], readCount: count)
    }

    public func writeBlock(_ bytes: [UInt8], to address: I2CAddress, register: UInt8) throws(HardwareError) {
        try checkBlockLength(bytes.count, resource(address))
        _ = try transfer(address, write: [register] + bytes, readCount: 0)
    }

    public func writeRead(_ bytes: [UInt8], to address: I2CAddress, readCount: Int) throws(HardwareError) -> [UInt8] {
        try checkTransferLengths(write: bytes.count, read: readCount, resource(address))
        return try transfer(address, write: bytes, readCount: readCount)
    }
}
