import SimulatedHardware
import Testing

@Suite struct WaveformTests {
    @Test func pulseTrainsRiseAndFallEachPeriod() {
        let wave = Waveform.pulses(hertz: 10, start: 1_000)
        #expect(wave.level(at: 999) == false)
        #expect(wave.level(at: 1_000) == true)
        #expect(wave.level(at: 1_000 + 50 * millisecond) == false)
        #expect(wave.nextTransition(after: 1_000) == 1_000 + 50 * millisecond)
        #expect(wave.nextTransition(after: 1_000 + 50 * millisecond) == 1_000 + 100 * millisecond)
        #expect(wave.nextTransition(after: 0) == 1_000)
    }

    @Test func zeroAndTooSlowRatesAreAQuietLowLine() {
        #expect(Waveform.pulses(hertz: 0, start: 0) == .constant(false))
        #expect(Waveform.pulses(hertz: 1e-12, start: 0) == .constant(false))
        #expect(Waveform.pulses(hertz: 0.001, start: 0).nextTransition(after: 0) == 500 * 1_000_000_000)
    }

    @Test func aPatternWhoseFirstStepIsLateReturnsToIdleAtEachPeriod() {
        let wave = Waveform.periodic(.init(start: 0, period: 100, idle: false, steps: [.init(at: 40, level: true)]))
        #expect(wave.nextTransition(after: 40) == 100)
        #expect(wave.level(at: 100) == false)
        #expect(wave.nextTransition(after: 100) == 140)
    }

    @Test func aPressBouncesThenHoldsThenBouncesBack() {
        let steps = Waveform.pressSteps(
            holdNanoseconds: 100 * millisecond, bounces: 2, bounceIntervalNanoseconds: millisecond, pressedLevel: false)
        #expect(steps.map(\.level) == [false, true, false, true, false, true, false, true, false, true])
        #expect(steps[4].at == 4 * millisecond)
        #expect(steps[5].at == 100 * millisecond)
        #expect(steps.last?.level == true)
    }

    @Test func aScriptReturnsToItsBase() {
        let steps = [Waveform.Step(at: 0, level: false), Waveform.Step(at: 10, level: true)]
        let wave = Waveform.script(start: 100, steps: steps, base: .constant(true))
        #expect(wave.level(at: 99) == true)
        #expect(wave.level(at: 100) == false)
        #expect(wave.level(at: 110) == true)
        #expect(wave.nextTransition(after: 100) == 110)
        #expect(wave.nextTransition(after: 110) == nil)
    }
}
