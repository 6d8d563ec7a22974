/// A plain 256-byte register file, as the kernel's i2c-stub provides: reads and writes
/// at the pointer, auto-incrementing and wrapping at 0xFF. The contract suite seeds one
/// with DS3231-like bytes so the same checks run here and against i2c-stub in QEMU.
public final class RegisterFileModel: I2CDeviceModel {
    public let modelName = "register-file"
    public private(set) var registers: [UInt8]
    private var pointer = RegisterPointer(last: 0xFF)

    public init(registers: [UInt8] = []) {
        self.registers = Array((registers + [UInt8](repeating: 0, count: 256)).prefix(256))
    }

    public func receive(_ bytes: [UInt8], at clock: UInt64) {
        guard let first = bytes.first else { return }
        pointer.value = first
        for byte in bytes.dropFirst() {
            registers[Int(pointer.value)] = byte
            pointer.advance()
        }
    }

    public func transmit(count: Int, at clock: UInt64) -> [UInt8] {
        var output: [UInt8] = []
        for _ in 0..<count {
            output.append(registers[Int(pointer.value)])
            pointer.advance()
        }
        return output
    }
}
