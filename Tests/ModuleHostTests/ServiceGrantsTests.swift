import Hardware
import ModuleHost
import Testing

@Suite struct ServiceGrantsTests {
    @Test func parsesGrants() throws {
        let i2c = try ServiceGrants.parseI2C("i2c-1@0x68")
        #expect(i2c.bus == 1 && i2c.address.rawValue == 0x68 && i2c.description == "i2c-1@0x68")
        #expect(try ServiceGrants.parseGPIO("gpiochip0:17").line == .offset(17))
        #expect(try ServiceGrants.parseGPIO("gpiochip0:button").description == "gpiochip0:button")
    }

    @Test(arguments: ["i2c1@0x68", "i2c-1", "i2c-1@0x78", "i2c-1@zz", "i2c-x@0x68", "spi-1@0x68", "i2c-2000@0x68", "@0x68"])
    func refusesBadI2CGrants(text: String) {
        #expect(throws: HardwareError.self) { try ServiceGrants.parseI2C(text) }
    }

    @Test(arguments: ["gpiochip0", "gpiochip0:", ":17", "gpiochip0:-1", "a:b:c"])
    func refusesBadGPIOGrants(text: String) {
        #expect(throws: HardwareError.self) { try ServiceGrants.parseGPIO(text) }
    }
}
