import Hardware
import Testing

@Suite struct HardwareErrorTests {
    @Test func namesTheResourceInTheMessage() {
        let error = HardwareError(.nack, .i2cDevice(bus: 1, address: 0x68), "read register 0x00")
        #expect(error.description == "i2c-1@0x68: no acknowledge (NACK): read register 0x00")
        #expect(HardwareError(.busy, .gpioLine(chip: "gpiochip0", offset: 17, name: "button")).description
            == "gpiochip0:17 \"button\": busy")
        #expect(HardwareResource.gpioLine(chip: "gpiochip1", offset: 3, name: nil).description == "gpiochip1:3")
        #expect(HardwareResource.i2cDevice(bus: 0, address: 0x8).description == "i2c-0@0x08")
    }

    @Test func selectsLinesByOffsetOrName() {
        #expect(GPIOLineSelector("17") == .offset(17))
        #expect(GPIOLineSelector("button") == .name("button"))
    }

    @Test func edgeDetectionReportsOnlyTheEdgesAskedFor() {
        #expect(GPIOEdgeDetection.both.reports(.rising) && GPIOEdgeDetection.both.reports(.falling))
        #expect(GPIOEdgeDetection.rising.reports(.rising) && !GPIOEdgeDetection.rising.reports(.falling))
        #expect(!GPIOEdgeDetection.falling.reports(.rising) && GPIOEdgeDetection.falling.reports(.falling))
        #expect(!GPIOEdgeDetection.none.reports(.rising))
    }

    @Test func refusesBlockLengthsBeyondSMBus() {
        #expect(throws: HardwareError.self) { try checkBlockLength(0, .i2cBus(1)) }
        #expect(throws: HardwareError.self) { try checkBlockLength(33, .i2cBus(1)) }
        #expect(throws: Never.self) { try checkBlockLength(32, .i2cBus(1)) }
        #expect(throws: HardwareError.self) { try checkTransferLengths(write: 0, read: 0, .i2cBus(1)) }
        #expect(throws: HardwareError.self) { try checkTransferLengths(write: 1, read: 9000, .i2cBus(1)) }
    }
}
