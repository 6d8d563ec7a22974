import Hardware
import ModuleHost
import ModuleRuntime
import SimulatedHardware
import Testing

/// The repository's modules built to wasm and run in WasmKit against the simulated board.
@Suite struct DeviceModuleRuntimeTests {
    @Test func theRTCModuleIsSmallAndSetsTheClock() throws {
        let bytes = try BuiltModules.bytes("rtc")
        #expect(bytes.count <= 16 * 1024, "rtc.wasm is \(bytes.count) bytes")
        let board = runtimeBoard()
        let time = SimulatedSystemTime(clock: board.clock)
        let instance = try instantiate(
            bytes, service: "rtc", grants: ServiceGrants(i2c: [try ServiceGrants.parseI2C("i2c-1@0x68")], clockSet: true),
            board: board, time: time)
        var readings: [String: Double] = [:]
        instance.resources.onPublish = { readings[$0] = $1 }
        try instance.start()
        #expect(time.wallNanoseconds / 1_000_000_000 == 1_800_000_000)
        #expect(instance.resources.timerPeriodMilliseconds == 1000)
        try instance.tick()
        #expect(readings["temperature"] == 21.5)
        #expect(readings["rtc_valid"] == 1)
    }

    @Test func theButtonModuleSeesABouncyPressOnce() throws {
        let board = runtimeBoard()
        let instance = try instantiate(
            BuiltModules.bytes("button"), service: "button",
            grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:button")]), board: board)
        var presses: [Double] = []
        instance.resources.onPublish = { name, value in if name == "presses" { presses.append(value) } }
        try instance.start()
        try board.pressButton(chip: "gpiochip0", line: .name("button"), holdMilliseconds: 100, bounces: 3)
        for (index, request) in instance.resources.edgeLines {
            for event in try request.waitForEdges(timeoutNanoseconds: 0) {
                try instance.edge(line: index, rising: event.edge == .rising, timestampNanoseconds: Int64(event.timestampNanoseconds))
            }
        }
        board.advanceClock(byNanoseconds: 40_000_000)
        try instance.tick()
        #expect(presses == [1])
    }

    @Test func aHotSwapCarriesThePulseCountIntoTheNewInstance() throws {
        let board = runtimeBoard()
        let grants = ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:pulse")])
        let old = try instantiate(BuiltModules.bytes("pulse-counter"), service: "flow", grants: grants, board: board)
        try old.start()
        for _ in 0..<25 { try old.edge(line: 0, rising: true, timestampNanoseconds: 0) }
        let state = try old.snapshot()
        old.resources.release()
        let new = try instantiate(BuiltModules.bytes("pulse-counter"), service: "flow", grants: grants, board: board)
        try new.codeChange(from: old.manifest.version, state: state)
        var count = 0.0
        new.resources.onPublish = { name, value in if name == "count" { count = value } }
        try new.edge(line: 0, rising: true, timestampNanoseconds: 0)
        try new.tick()
        #expect(count == 26)
    }

    @Test func aModuleRefusingForeignStateIsAFailedCodeChange() throws {
        let board = runtimeBoard()
        let instance = try instantiate(
            BuiltModules.bytes("pulse-counter"), service: "flow",
            grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:pulse")]), board: board)
        #expect {
            try instance.codeChange(from: .init(2, 0, 0), state: [1, 2, 3])
        } throws: { error in
            "\(error)" == "pulse-counter 1.0.0 crashed in code_change: returned status incompatibleState"
        }
    }

    @Test func theThresholdModuleDrivesItsLine() throws {
        let board = runtimeBoard()
        let instance = try instantiate(
            BuiltModules.bytes("threshold"), service: "fan",
            grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:5")]), board: board)
        try instance.start()
        try instance.reading(input: 0, value: 35)
        #expect(try board.gpioChip("gpiochip0").lineInfo(5).consumer == "fan")
        #expect(instance.resources.gpioRead(line: 0) == 1)
        try instance.setParameter(index: 0, value: 40)
        #expect(instance.resources.parameters[0] == 40)
        #expect(instance.resources.gpioRead(line: 0) == 0)
    }
}
