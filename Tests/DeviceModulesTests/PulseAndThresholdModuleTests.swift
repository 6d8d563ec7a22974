@testable import PulseCounterModule
@testable import ThresholdModule
import Hardware
import SimulatedHardware
import Testing

@Suite struct PulseCounterModuleTests {
    @Test func countsPulsesAndReportsARate() throws {
        let bench = Bench(pulseHertz: 16)
        let harness = try bench.harness(
            PulseCounter.self, "pulse-counter", gpio: ["gpiochip0:pulse"], parameters: ["calibration": 8])
        harness.start()
        try bench.run(harness, for: 5 * seconds)
        #expect(harness.readings["count"] == 80)
        #expect(harness.readings["hertz"] == 16)
        #expect(harness.readings["rate"] == 2)  // 16 Hz / 8 pulses per unit
    }

    @Test func theWindowAndCalibrationAreTunable() throws {
        let bench = Bench(pulseHertz: 10)
        let harness = try bench.harness(
            PulseCounter.self, "pulse-counter", gpio: ["gpiochip0:pulse"], parameters: ["window_s": 2, "calibration": 2.5])
        harness.start()
        try bench.run(harness, for: 3 * seconds)
        try bench.board.setPulseRate(chip: "gpiochip0", line: .name("pulse"), hertz: 20)
        try bench.run(harness, for: 2 * seconds)
        #expect(harness.readings["hertz"] == 20)
        #expect(harness.readings["rate"] == 8)
        #expect(throws: (any Error).self) { try harness.setParameter("window_s", 0) }
        #expect(throws: (any Error).self) { try harness.setParameter("window_s", 1.5) }
    }

    @Test func theCountSurvivesASwapAndBadStateIsRefused() throws {
        let bench = Bench(pulseHertz: 10)
        let harness = try bench.harness(PulseCounter.self, "pulse-counter", gpio: ["gpiochip0:pulse"])
        harness.start()
        try bench.run(harness, for: 2 * seconds)
        let state = harness.snapshot()
        #expect(harness.upgrade(from: .init(major: 1, minor: 0, patch: 0), state: state))
        try bench.run(harness, for: 1 * seconds)
        #expect(harness.readings["count"] == 30)
        #expect(!harness.upgrade(from: .init(major: 1, minor: 0, patch: 0), state: Array(state.prefix(5))))
    }
}

@Suite struct ThresholdModuleTests {
    @Test func switchesWithHysteresis() throws {
        let bench = Bench()
        let harness = try bench.harness(
            Threshold.self, "threshold", gpio: ["gpiochip0:led"], parameters: ["threshold": 30, "hysteresis": 2])
        harness.start()
        let sense = try bench.board.gpioChip("gpiochip0").requestInput(23, consumer: "test", edges: .none, bias: .asIs)
        for (value, expected) in [(29.9, false), (30.0, true), (28.5, true), (28.0, false), (29.0, false), (31.0, true)] {
            harness.reading(input: 0, value: value)
            #expect(try sense.read() == expected, "at \(value)")
            #expect(harness.readings["output"] == (expected ? 1 : 0))
        }
    }

    @Test func invertAndThresholdChangesApplyAtOnce() throws {
        let bench = Bench()
        let harness = try bench.harness(Threshold.self, "threshold", gpio: ["gpiochip0:led"])
        harness.start()
        let sense = try bench.board.gpioChip("gpiochip0").requestInput(23, consumer: "test", edges: .none, bias: .asIs)
        harness.reading(input: 0, value: 25)
        #expect(try sense.read() == false)
        try harness.setParameter("invert", 1)
        #expect(try sense.read() == true)
        try harness.setParameter("threshold", 20)
        #expect(harness.readings["output"] == 1)
        #expect(try sense.read() == false)
    }
}
