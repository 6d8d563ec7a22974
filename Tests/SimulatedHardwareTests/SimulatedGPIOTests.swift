import Foundation
import Hardware
import SimulatedHardware
import Testing

@Suite struct SimulatedGPIOTests {
    @Test func pulseTrainGivesTwoEdgesPerPeriodWithExactTimestamps() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock, pulseHertz: 10)
        let line = try board.gpioChip("gpiochip0").requestInput(1, consumer: "test", edges: .both, bias: .asIs)
        clock.advance(byNanoseconds: 1_000 * millisecond)
        let events = try line.waitForEdges(timeoutNanoseconds: 0)
        #expect(events.count == 20)
        #expect(events.first?.edge == .falling)
        let start = clock.nowNanoseconds - 1_000 * millisecond
        #expect(events.first?.timestampNanoseconds == start + 50 * millisecond)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.timestampNanoseconds < $1.timestampNanoseconds })
    }

    @Test func risingOnlyDetectionFiltersFallingEdges() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock, pulseHertz: 10)
        let line = try board.gpioChip("gpiochip0").requestInput(1, consumer: "test", edges: .rising, bias: .asIs)
        clock.advance(byNanoseconds: 1_000 * millisecond)
        let events = try line.waitForEdges(timeoutNanoseconds: 0)
        #expect(events.count == 10)
        #expect(events.allSatisfy { $0.edge == .rising })
    }

    @Test func aButtonPressShowsItsBounces() throws {
        let board = benchBoard()
        let line = try board.gpioChip("gpiochip0").requestInput(0, consumer: "test", edges: .both, bias: .pullUp)
        #expect(try line.read() == true)
        try board.pressButton(chip: "gpiochip0", line: .name("button"))
        // A virtual clock jumps to each transition: the whole press arrives without sleeping.
        var events: [GPIOEdgeEvent] = []
        while events.count < 10 {
            let batch = try line.waitForEdges(timeoutNanoseconds: 1_000 * millisecond)
            if batch.isEmpty { break }
            events += batch
        }
        #expect(events.map(\.edge) == [.falling, .rising, .falling, .rising, .falling, .rising, .falling, .rising, .falling, .rising])
        #expect(try line.read() == true)
    }

    @Test func aPeriodicButtonPressesByItself() throws {
        let board = benchBoard(buttonEveryMs: 500)
        let line = try board.gpioChip("gpiochip0").requestInput(0, consumer: "test", edges: .falling, bias: .asIs)
        var events: [GPIOEdgeEvent] = []
        while case let batch = try line.waitForEdges(timeoutNanoseconds: 100 * millisecond), !batch.isEmpty || events.isEmpty {
            events += batch
        }
        #expect(events.count == 5)  // two bounces on press (3 falls) and on release (2 falls)
        #expect(events.first?.timestampNanoseconds == ManualClock().nowNanoseconds + 500 * millisecond)
    }

    @Test func anEndlessTimeoutStillReturnsEvents() throws {
        let board = benchBoard(pulseHertz: 10)
        let line = try board.gpioChip("gpiochip0").requestInput(1, consumer: "test", edges: .both, bias: .asIs)
        #expect(try line.waitForEdges(timeoutNanoseconds: .max).count == 1)
    }

    @Test func waitTimesOutWithNoEvents() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock)
        let line = try board.gpioChip("gpiochip0").requestInput(0, consumer: "test", edges: .both, bias: .asIs)
        let before = clock.nowNanoseconds
        #expect(try line.waitForEdges(timeoutNanoseconds: 250 * millisecond).isEmpty)
        #expect(clock.nowNanoseconds == before + 250 * millisecond)
    }

    @Test func anOutputWiredToAnInputDrivesIt() throws {
        let chip = try benchBoard().gpioChip("gpiochip0")
        let sense = try chip.requestInput(3, consumer: "test", edges: .both, bias: .pullDown)
        let led = try chip.requestOutput(2, consumer: "test", initialValue: true)
        #expect(try led.read() == true)
        #expect(try sense.read() == true)
        try led.write(false)
        #expect(try sense.read() == false)
        let events = try sense.waitForEdges(timeoutNanoseconds: 0)
        #expect(events.map(\.edge) == [.rising, .falling])
    }

    @Test func aHeldLineIsBusyUntilReleased() throws {
        let chip = try benchBoard().gpioChip("gpiochip0")
        let first = try chip.requestInput(0, consumer: "button-service", edges: .both, bias: .asIs)
        #expect {
            _ = try chip.requestOutput(0, consumer: "other", initialValue: false)
        } throws: { error in
            guard let error = error as? HardwareError else { return false }
            return error.kind == .busy && error.detail.contains("button-service")
                && error.resource == .gpioLine(chip: "gpiochip0", offset: 0, name: "button")
        }
        #expect(try chip.lineInfo(0).consumer == "button-service")
        first.release()
        first.release()
        #expect(try chip.lineInfo(0).isUsed == false)
        let second = try chip.requestInput(0, consumer: "again", edges: .both, bias: .asIs)
        #expect(try second.read() == false || true)
        #expect {
            _ = try first.read()
        } throws: { error in
            (error as? HardwareError)?.kind == .invalidArgument
        }
    }

    @Test func droppingTheLastReferenceReleasesTheLine() throws {
        let chip = try benchBoard().gpioChip("gpiochip0")
        do {
            _ = try chip.requestInput(0, consumer: "scoped", edges: .both, bias: .asIs)
        }
        #expect(try chip.lineInfo(0).isUsed == false)
    }

    @Test func refusesWritesToInputsAndWaitsWithoutEdgeDetection() throws {
        let chip = try benchBoard().gpioChip("gpiochip0")
        let input = try chip.requestInput(4, consumer: "t", edges: .none, bias: .asIs)
        #expect(throws: HardwareError.self) { try input.write(true) }
        #expect(throws: HardwareError.self) { try input.waitForEdges(timeoutNanoseconds: 0) }
    }

    @Test func biasDecidesTheLevelOfAnUndrivenLine() throws {
        let chip = try benchBoard().gpioChip("gpiochip0")
        let up = try chip.requestInput(5, consumer: "t", edges: .none, bias: .pullUp)
        #expect(try up.read() == true)
        let down = try chip.requestInput(6, consumer: "t", edges: .none, bias: .pullDown)
        #expect(try down.read() == false)
    }

    @Test func refusesOffsetsBeyondTheChipAndUnknownNames() throws {
        let chip = try benchBoard().gpioChip("gpiochip0")
        #expect {
            _ = try chip.requestInput(8, consumer: "t", edges: .none, bias: .asIs)
        } throws: { error in
            (error as? HardwareError)?.detail == "line offset 8 is beyond the chip (expected 0-7)"
        }
        #expect(throws: HardwareError.self) { try chip.resolve(.name("nope")) }
        #expect(throws: HardwareError.self) { try chip.lineInfo(-1) }
        #expect(try chip.resolve(.name("led")) == 2)
    }

    @Test func aStuckLineIgnoresItsDriverAndShowsNoEdges() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock, pulseHertz: 10)
        let line = try board.gpioChip("gpiochip0").requestInput(1, consumer: "t", edges: .both, bias: .asIs)
        try board.inject(.gpioStuckLine(chip: "gpiochip0", offset: 1, level: true))
        _ = try line.waitForEdges(timeoutNanoseconds: 0)
        clock.advance(byNanoseconds: 1_000 * millisecond)
        #expect(try line.waitForEdges(timeoutNanoseconds: 0).isEmpty)
        #expect(try line.read() == true)
        board.clear(.gpioStuckLine(chip: "gpiochip0", offset: 1, level: true))
        clock.advance(byNanoseconds: 1_000 * millisecond)
        #expect(try line.waitForEdges(timeoutNanoseconds: 0).count >= 19)
    }

    @Test func aRemovedChipFailsEveryCallUntilRestored() throws {
        let board = benchBoard()
        let chip = try board.gpioChip("gpiochip0")
        let line = try chip.requestInput(0, consumer: "t", edges: .both, bias: .asIs)
        try board.inject(.gpioChipRemoved(chip: "gpiochip0"))
        #expect {
            _ = try line.read()
        } throws: { error in
            (error as? HardwareError)?.kind == .noDevice
        }
        #expect(throws: HardwareError.self) { try board.gpioChip("gpiochip0") }
        board.clearAllFaults()
        #expect(try line.read() == true)
    }

    @Test func drivingAndPulseRatesChangeAtRunTime() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock, pulseHertz: 10)
        let chip = try board.gpioChip("gpiochip0")
        let line = try chip.requestInput(1, consumer: "t", edges: .rising, bias: .asIs)
        try board.setPulseRate(chip: "gpiochip0", line: .name("pulse"), hertz: 50)
        clock.advance(byNanoseconds: 1_000 * millisecond)
        #expect(try line.waitForEdges(timeoutNanoseconds: 0).count == 50)
        try board.drive(chip: "gpiochip0", line: .offset(5), to: true)
        #expect(try chip.requestInput(5, consumer: "t", edges: .none, bias: .pullDown).read() == true)
        #expect(throws: HardwareError.self) { try board.setPulseRate(chip: "gpiochip0", line: .name("pulse"), hertz: -1) }
        #expect(throws: HardwareError.self) { try board.pressButton(chip: "gpiochip9", line: .offset(0)) }
        #expect(throws: HardwareError.self) { try board.pressButton(chip: "gpiochip0", line: .offset(0), holdMilliseconds: 0) }
        #expect(throws: HardwareError.self) { try board.setPulseRate(chip: "gpiochip0", line: .offset(1), hertz: 1e-12) }
    }

    @Test func longGapsDropOldEventsInsteadOfGrowingWithoutBound() throws {
        let clock = ManualClock()
        let board = benchBoard(clock: clock, pulseHertz: 1_000)
        let line = try board.gpioChip("gpiochip0").requestInput(1, consumer: "t", edges: .both, bias: .asIs)
        clock.advance(byNanoseconds: 3_600 * 1_000 * millisecond)  // an hour at 1 kHz
        let events = try line.waitForEdges(timeoutNanoseconds: 0)
        #expect(events.count == SimulatedGPIOChip.eventQueueCapacity)
        #expect(events.last?.timestampNanoseconds ?? 0 > clock.nowNanoseconds - 2 * millisecond)
    }

    @Test func waitsOnARealClockWakeForAConsolePress() throws {
        let board = benchBoard(clock: SystemClock())
        let line = try board.gpioChip("gpiochip0").requestInput(0, consumer: "t", edges: .falling, bias: .asIs)
        let pressed = Thread { try? board.pressButton(chip: "gpiochip0", line: .name("button"), bounces: 0) }
        pressed.start()
        let events = try line.waitForEdges(timeoutNanoseconds: 5_000 * millisecond)
        #expect(events.first?.edge == .falling)
    }
}
