import Hardware
import SimulatedHardware
import Testing

@Suite struct SimulatedI2CTests {
    let rtc = try! I2CAddress(0x68, bus: 1)
    let eeprom = try! I2CAddress(0x57, bus: 1)

    @Test func smbusTransfersReachTheModel() throws {
        let bus = try benchBoard().i2cBus(1)
        #expect(try bus.readByte(from: eeprom, register: 1) == 2)
        try bus.writeWord(0xBEEF, to: eeprom, register: 0x10)
        #expect(try bus.readBlock(from: eeprom, register: 0x10, count: 2) == [0xEF, 0xBE])
        #expect(try bus.readWord(from: eeprom, register: 0x10) == 0xBEEF)
        try bus.writeBlock([9, 8, 7], to: eeprom, register: 0x20)
        #expect(try bus.writeRead([0x20], to: eeprom, readCount: 3) == [9, 8, 7])
        try bus.writeByte(0x21, to: eeprom)
        #expect(try bus.readByte(from: eeprom) == 8)
    }

    @Test func aDS3231OnTheBusKeepsTimeUnderTheTestClock() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock)
        let bus = try board.i2cBus(1)
        #expect(try bus.readBlock(from: rtc, register: 0, count: 3) == [0, 0, 0])
        clock.advance(byNanoseconds: 3_725 * 1_000 * millisecond)
        #expect(try bus.readBlock(from: rtc, register: 0, count: 3) == [0x05, 0x02, 0x01])
    }

    @Test func anAbsentAddressNACKsAndNamesItself() throws {
        let bus = try benchBoard().i2cBus(1)
        let absent = try I2CAddress(0x50, bus: 1)
        #expect(try bus.probe(absent) == false)
        #expect {
            _ = try bus.readByte(from: absent, register: 0)
        } throws: { error in
            guard let error = error as? HardwareError else { return false }
            return error.kind == .nack && error.description.hasPrefix("i2c-1@0x50")
        }
    }

    @Test func injectedFaultsSurfaceAsTypedErrorsAndClear() throws {
        let board = benchBoard()
        let bus = try board.i2cBus(1)
        try board.inject(.i2cNack(bus: 1, address: 0x68))
        #expect(throws: HardwareError(.nack, .i2cDevice(bus: 1, address: 0x68), "no device acknowledged the address")) {
            try bus.readByte(from: rtc, register: 0)
        }
        #expect(try bus.readByte(from: eeprom, register: 0) == 1)
        board.clear(.i2cNack(bus: 1, address: 0x68))
        try board.inject(.i2cBusTimeout(bus: 1))
        #expect {
            _ = try bus.readByte(from: eeprom, register: 0)
        } throws: { error in
            (error as? HardwareError)?.kind == .timeout
        }
        #expect {
            _ = try bus.probe(eeprom)
        } throws: { error in
            (error as? HardwareError)?.kind == .timeout
        }
        board.clearAllFaults()
        #expect(board.activeFaults.isEmpty)
        #expect(try bus.probe(rtc))
    }

    @Test func aRemovedDeviceKeepsItsStateForWhenItReturns() throws {
        let board = benchBoard()
        let bus = try board.i2cBus(1)
        try bus.writeByte(0x42, to: eeprom, register: 0x30)
        try board.inject(.i2cDeviceRemoved(bus: 1, address: 0x57))
        #expect(try bus.probe(eeprom) == false)
        board.clear(.i2cDeviceRemoved(bus: 1, address: 0x57))
        #expect(try bus.readByte(from: eeprom, register: 0x30) == 0x42)
    }

    @Test func refusesFaultsOnThingsTheBoardDoesNotHave() {
        let board = benchBoard()
        #expect(throws: HardwareError.self) { try board.inject(.i2cNack(bus: 1, address: 0x50)) }
        #expect(throws: HardwareError.self) { try board.inject(.i2cBusTimeout(bus: 7)) }
        #expect(throws: HardwareError.self) { try board.inject(.gpioStuckLine(chip: "gpiochip0", offset: 99, level: true)) }
        #expect(throws: HardwareError.self) { try board.inject(.gpioChipRemoved(chip: "gpiochip3")) }
        #expect(board.activeFaults.isEmpty)
    }

    @Test func refusesBadTransfers() throws {
        let bus = try benchBoard().i2cBus(1)
        #expect(throws: HardwareError.self) { try bus.readBlock(from: eeprom, register: 0, count: 33) }
        #expect(throws: HardwareError.self) { try bus.writeBlock([], to: eeprom, register: 0) }
        #expect(throws: HardwareError.self) { try bus.writeRead([], to: eeprom, readCount: 0) }
        #expect(throws: HardwareError.self) { try benchBoard().i2cBus(2) }
    }

    @Test func rtcControlsReachTheModel() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock)
        try board.withRTC(bus: 1, address: 0x68) { rtc, now in
            rtc.losePower(batteryBacked: false, forNanoseconds: second, at: now)
        }
        #expect(try board.withRTC(bus: 1, address: 0x68) { rtc, now in rtc.hasLostTime(at: now) })
        #expect(throws: HardwareError.self) { try board.withRTC(bus: 1, address: 0x57) { _, _ in 0 } }
        #expect(board.attachedDevices(bus: 1).map(\.model) == ["register-file", "ds3231"])
    }
}
