/// One device on one bus: the address bound once, the transfers forwarded.
public struct I2CDevice: Sendable {
    public let bus: any I2CBus
    public let address: I2CAddress

    public init(bus: any I2CBus, address: I2CAddress) {
        self.bus = bus
        self.address = address
    }

    public var resource: HardwareResource { bus.resource(address) }

    public func readByte(register: UInt8) throws(HardwareError) -> UInt8 {
        try bus.readByte(from: address, register: register)
    }

    public func writeByte(_ value: UInt8, register: UInt8) throws(HardwareError) {
        try bus.writeByte(value, to: address, register: register)
    }

    public func readWord(register: UInt8) throws(HardwareError) -> UInt16 {
        try bus.readWord(from: address, register: register)
    }

    public func writeWord(_ value: UInt16, register: UInt8) throws(HardwareError) {
        try bus.writeWord(value, to: address, register: register)
    }

    public func readBlock(register: UInt8, count: Int) throws(HardwareError) -> [UInt8] {
        try bus.readBlock(from: address, register: register, count: count)
    }

    public func writeBlock(_ bytes: [UInt8], register: UInt8) throws(HardwareError) {
        try bus.writeBlock(bytes, to: address, register: register)
    }

    public func writeRead(_ bytes: [UInt8], readCount: Int) throws(HardwareError) -> [UInt8] {
        try bus.writeRead(bytes, to: address, readCount: readCount)
    }
}
