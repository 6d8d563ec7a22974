import Foundation
import Hardware
import ModuleHost
import ModuleTesting
import SimulatedHardware

/// A simulated bench for module tests: an RTC (a DS3231 unless told) on i2c-1, a button, a pulse sensor, an LED.
final class Bench {
    let clock = ManualClock(wallSeconds: 1_795_455_005)  // 2026-11-23 17:30:05 UTC
    let board: SimulatedBoard
    let time: SimulatedSystemTime

    convenience init(rtc: SimulatedBoardSpec.RTC = .init(time: .unixSeconds(1_795_455_005)), pulseHertz: Double = 10) {
        self.init(model: .ds3231(rtc, temperature: 24.25), pulseHertz: pulseHertz)
    }

    init(model: SimulatedBoardSpec.Model, pulseHertz: Double = 10) {
        board = SimulatedBoard(
            SimulatedBoardSpec(
                name: "bench",
                buses: [.init(number: 1, devices: [.init(address: 0x68, model: model)])],
                chips: [
                    .init(
                        name: "gpiochip0", label: "bench", lineCount: 32,
                        lines: [
                            .init(offset: 17, name: "button", drive: .button(.init(holdMilliseconds: 300, bounces: 3, bounceMicroseconds: 500))),
                            .init(offset: 27, name: "pulse", drive: .pulses(hertz: pulseHertz)),
                            .init(offset: 22, name: "led"),
                            .init(offset: 23, name: "led-sense", wiredFrom: 22),
                        ])
                ]),
            clock: clock)
        time = SimulatedSystemTime(clock: clock)
    }

    /// The repository's module folder for `name`.
    static func manifest(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Modules/\(name)/manifest.json").path
    }

    func harness<Module>(
        _ type: Module.Type, _ name: String, service: String? = nil, i2c: [String] = [], gpio: [String] = [], clockSet: Bool = false,
        parameters: [String: Double] = [:]
    ) throws -> ModuleHarness<Module> {
        let grants = ServiceGrants(
            i2c: try i2c.map(ServiceGrants.parseI2C), gpio: try gpio.map(ServiceGrants.parseGPIO), clockSet: clockSet)
        return try ModuleHarness<Module>(
            manifestPath: Bench.manifest(name), serviceName: service ?? name, grants: grants, backend: board, time: time,
            parameters: parameters)
    }

    private var period: UInt64 = 0
    private var nextTick: UInt64 = 0

    /// Moves time on in `step`s, delivering edges and firing the module's timer as the
    /// agent does: a new period starts counting when it is set.
    func run<Module>(_ harness: ModuleHarness<Module>, for duration: UInt64, step: UInt64 = 1_000_000) throws {
        let end = clock.nowNanoseconds + duration
        schedule(harness)
        while clock.nowNanoseconds < end {
            board.advanceClock(byNanoseconds: step)
            try harness.deliverEdges()
            schedule(harness)
            if period > 0, clock.nowNanoseconds >= nextTick {
                harness.tick()
                nextTick = clock.nowNanoseconds + period
                schedule(harness)
            }
        }
    }

    private func schedule<Module>(_ harness: ModuleHarness<Module>) {
        let current = UInt64(harness.resources.timerPeriodMilliseconds) * 1_000_000
        if current != period {
            period = current
            nextTick = clock.nowNanoseconds + current
        }
    }
}

let seconds: UInt64 = 1_000_000_000
let milliseconds: UInt64 = 1_000_000
