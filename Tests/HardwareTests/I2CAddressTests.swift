import Hardware
import Testing

@Suite struct I2CAddressTests {
    @Test(arguments: ["0x68", "68h", "104", "0X68"])
    func parsesTheFormsI2CToolsAccepts(text: String) throws {
        #expect(try I2CAddress.parse(text, bus: 1).rawValue == 0x68)
    }

    @Test(arguments: [0x08, 0x50, 0x77])
    func acceptsTheUsableRange(value: Int) throws {
        #expect(try I2CAddress(value, bus: 1).rawValue == UInt16(value))
    }

    @Test(arguments: [0x00, 0x03, 0x07, 0x78, 0x7F])
    func refusesReservedAddresses(value: Int) {
        #expect {
            _ = try I2CAddress(value, bus: 1)
        } throws: { error in
            guard let error = error as? HardwareError else { return false }
            return error.kind == .invalidArgument && error.resource == .i2cBus(1) && error.detail.contains("reserved")
        }
    }

    @Test(arguments: [0x80, 0x3FF, -1])
    func refusesValuesBeyondSevenBits(value: Int) {
        #expect {
            _ = try I2CAddress(value, bus: 2)
        } throws: { error in
            (error as? HardwareError)?.detail.contains("not a 7-bit address") == true
        }
    }

    @Test(arguments: ["", "0x", "zz", "0x6g", "sixty"])
    func refusesText(text: String) {
        #expect(throws: HardwareError.self) { try I2CAddress.parse(text, bus: 1) }
    }

    @Test func parsesIntegersInEveryBase() {
        #expect(parseInteger("0x1f") == 31)
        #expect(parseInteger("1fh") == 31)
        #expect(parseInteger("0b101") == 5)
        #expect(parseInteger("-3") == -3)
        #expect(parseInteger("12") == 12)
        #expect(parseInteger("-") == nil)
        #expect(parseInteger("1.5") == nil)
        #expect(parseInteger("0x-5") == nil)
        #expect(parseInteger("0x+5") == nil)
        #expect(parseInteger("--5") == nil)
    }
}
