import Hardware
import HardwareTools
import SimulatedHardware
import Testing

func toolBoard(clock: any SimulationClock = ManualClock()) -> SimulatedBoard {
    SimulatedBoard(
        SimulatedBoardSpec(
            name: "tools",
            buses: [
                .init(
                    number: 1,
                    devices: [
                        .init(address: 0x68, model: .ds3231(.init(time: .unixSeconds(1_795_455_005)), temperature: 24.25)),
                        .init(address: 0x57, model: .registerFile(Array("Midflight".utf8) + [0x00, 0xFF, 0x01])),
                    ])
            ],
            chips: [
                .init(
                    name: "gpiochip0", label: "tools", lineCount: 4,
                    lines: [.init(offset: 1, name: "button", drive: .button(.init())), .init(offset: 2, name: "pulse", drive: .pulses(hertz: 5))])
            ]),
        clock: clock)
}

@Suite struct I2CToolTests {
    @Test func scanPrintsTheI2cdetectGrid() throws {
        let results = try I2CTool(backend: toolBoard()).scan(bus: 1)
        let grid = I2CTool.formatScan(results).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(grid[0] == "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f")
        #expect(grid[1] == "00:                         -- -- -- -- -- -- -- --")
        #expect(grid[6] == "50: -- -- -- -- -- -- -- 57 -- -- -- -- -- -- -- --")
        #expect(grid[7] == "60: -- -- -- -- -- -- -- -- 68 -- -- -- -- -- -- --")
        #expect(grid[8] == "70: -- -- -- -- -- -- -- --                        ")
        #expect(I2CTool.scanJSON(bus: 1, results).serialized
            == #"{"bus":1,"devices":[{"address":"0x57","state":"present"},{"address":"0x68","state":"present"}]}"#)
    }

    @Test func busyAddressesShowAsUU() {
        var results: [UInt16: I2CTool.ScanResult] = [:]
        for address in I2CAddress.validRange { results[address] = .absent }
        results[0x68] = .busy
        #expect(I2CTool.formatScan(results).contains("60: -- -- -- -- -- -- -- -- UU"))
    }

    @Test func dumpPrintsHexAndTheI2cdumpTextColumn() throws {
        let values = try I2CTool(backend: toolBoard()).dump(bus: 1, address: I2CAddress(0x57, bus: 1), range: 0x00...0x0F)
        let lines = I2CTool.formatDump(values).split(separator: "\n")
        #expect(lines[1] == "00: 4d 69 64 66 6c 69 67 68 74 00 ff 01 00 00 00 00    Midflight..?....")
    }

    @Test func dumpOfAPartialRangeLeavesTheRestBlank() throws {
        let values = try I2CTool(backend: toolBoard()).dump(bus: 1, address: I2CAddress(0x68, bus: 1), range: 0x10...0x12)
        #expect(I2CTool.formatDump(values).split(separator: "\n")[1].hasPrefix("10: 00 18 40         "))
    }

    @Test func dumpRefusesAnAbsentDevice() {
        #expect(throws: HardwareError.self) {
            try I2CTool(backend: toolBoard()).dump(bus: 1, address: I2CAddress(0x50, bus: 1), range: 0...1)
        }
    }

    @Test func getAndSetBytesAndWords() throws {
        let tool = I2CTool(backend: toolBoard())
        let eeprom = try I2CAddress(0x57, bus: 1)
        #expect(try tool.get(bus: 1, address: eeprom, register: 0, width: .byte) == 0x4D)
        try tool.set(bus: 1, address: eeprom, register: 0x20, value: 0xCAFE, width: .word)
        #expect(try tool.get(bus: 1, address: eeprom, register: 0x20, width: .word) == 0xCAFE)
        #expect(try tool.get(bus: 1, address: eeprom, register: 0x20, width: .byte) == 0xFE)
        #expect(throws: HardwareError.self) { try tool.set(bus: 1, address: eeprom, register: 0, value: 0x100, width: .byte) }
        #expect(throws: HardwareError.self) { try tool.get(bus: 4, address: eeprom, register: 0, width: .byte) }
    }
}
