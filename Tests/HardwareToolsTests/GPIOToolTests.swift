import Hardware
import HardwareTools
import SimulatedHardware
import Testing

@Suite struct GPIOToolTests {
    @Test func detectAndInfoLookLikeTheGpiodTools() throws {
        let tool = GPIOTool(backend: toolBoard())
        #expect(GPIOTool.formatDetect(try tool.detect()) == "gpiochip0 [tools] (4 lines)")
        let held = try toolBoard().gpioChip("gpiochip0")
        _ = held
        let (chip, lines) = try tool.info(chip: "gpiochip0")
        let text = GPIOTool.formatInfo(chip, lines).split(separator: "\n")
        #expect(text[0] == "gpiochip0 - 4 lines:")
        #expect(text[1] == "\tline   0:      unnamed       unused  input active-high")
        #expect(text[2] == "\tline   1:     \"button\"       unused  input active-high")
    }

    @Test func infoShowsWhoHoldsALine() throws {
        let board = toolBoard()
        let request = try board.gpioChip("gpiochip0").requestOutput(3, consumer: "led-service", initialValue: true)
        let (chip, lines) = try GPIOTool(backend: board).info(chip: "gpiochip0")
        #expect(GPIOTool.formatInfo(chip, lines).contains("\"led-service\" output active-high [used]"))
        request.release()
    }

    @Test func getReadsAndReleases() throws {
        let board = toolBoard()
        let tool = GPIOTool(backend: board)
        #expect(try tool.get(chip: "gpiochip0", lines: [.name("button"), .offset(0)], bias: .pullDown) == [true, false])
        #expect(try board.gpioChip("gpiochip0").lineInfo(1).isUsed == false)
        #expect(throws: HardwareError.self) { try tool.get(chip: "gpiochip0", lines: [], bias: .asIs) }
    }

    @Test func setHoldsUntilReleased() throws {
        let board = toolBoard()
        let requests = try GPIOTool(backend: board).set(chip: "gpiochip0", values: [(.offset(3), true)])
        #expect(try board.gpioChip("gpiochip0").lineInfo(3).direction == .output)
        requests.forEach { $0.release() }
        #expect(try board.gpioChip("gpiochip0").lineInfo(3).isUsed == false)
    }

    @Test(arguments: ["3", "=1", "3=2", "led=on", "a=1=1"])
    func refusesMalformedAssignments(text: String) {
        #expect(throws: HardwareError.self) { try GPIOTool.parseAssignment(text, chip: "gpiochip0") }
    }

    @Test func monitorReportsEdgesUntilTheCount() throws {
        var events: [GPIOEdgeEvent] = []
        try GPIOTool(backend: toolBoard()).monitor(
            chip: "gpiochip0", lines: [.name("pulse")], edges: .both, bias: .asIs, count: 6, idleTimeoutNanoseconds: nil
        ) { events.append($0) }
        #expect(events.count == 6)
        #expect(events.map(\.edge) == [.falling, .rising, .falling, .rising, .falling, .rising])
        #expect(events[1].timestampNanoseconds - events[0].timestampNanoseconds == 100_000_000)
    }

    @Test func monitorStopsAfterAQuietSpellOrWhenAsked() throws {
        var count = 0
        try GPIOTool(backend: toolBoard()).monitor(
            chip: "gpiochip0", lines: [.name("button")], edges: .both, bias: .asIs, count: nil,
            idleTimeoutNanoseconds: 500_000_000
        ) { _ in count += 1 }
        #expect(count == 0)
        try GPIOTool(backend: toolBoard()).monitor(
            chip: "gpiochip0", lines: [.name("pulse")], edges: .both, bias: .asIs, count: nil,
            idleTimeoutNanoseconds: nil, shouldStop: { count > 2 }
        ) { _ in count += 1 }
        #expect(count >= 3)
    }

    @Test func monitorRefusesNoLinesAndNoEdges() {
        let tool = GPIOTool(backend: toolBoard())
        #expect(throws: HardwareError.self) {
            try tool.monitor(chip: "gpiochip0", lines: [], edges: .both, bias: .asIs, count: 1, idleTimeoutNanoseconds: nil) { _ in }
        }
        #expect(throws: HardwareError.self) {
            try tool.monitor(chip: "gpiochip0", lines: [.offset(1)], edges: .none, bias: .asIs, count: 1, idleTimeoutNanoseconds: nil) { _ in }
        }
    }

    @Test func eventLinesMatchGpiomon() {
        let event = GPIOEdgeEvent(edge: .rising, timestampNanoseconds: 12_000_000_045, offset: 17)
        #expect(GPIOTool.formatEvent(event) == "event:  RISING EDGE offset: 17 timestamp: [      12.000000045]")
        #expect(GPIOTool.eventJSON(event).serialized == #"{"edge":"rising","offset":17,"timestampNs":12000000045}"#)
    }
}
