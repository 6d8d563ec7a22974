import Hardware
import SimulatedHardware

let millisecond: UInt64 = 1_000_000

/// A small bench board: a DS3231 and a register file on i2c-1; a chip with a button,
/// a pulse sensor, an LED and a line wired to the LED.
func benchBoard(clock: any SimulationClock = ManualClock(), pulseHertz: Double = 10, buttonEveryMs: Int = 0) -> SimulatedBoard {
    SimulatedBoard(
        SimulatedBoardSpec(
            name: "bench",
            buses: [
                .init(
                    number: 1,
                    devices: [
                        .init(address: 0x68, model: .ds3231(.init(time: .unixSeconds(unix(2026, 1, 1))), temperature: 25)),
                        .init(address: 0x57, model: .registerFile([1, 2, 3])),
                    ])
            ],
            chips: [
                .init(
                    name: "gpiochip0", label: "bench", lineCount: 8,
                    lines: [
                        .init(
                            offset: 0, name: "button",
                            drive: .button(.init(everyMilliseconds: buttonEveryMs, holdMilliseconds: 100, bounces: 2, bounceMicroseconds: 500))),
                        .init(offset: 1, name: "pulse", drive: .pulses(hertz: pulseHertz)),
                        .init(offset: 2, name: "led"),
                        .init(offset: 3, name: "led-sense", wiredFrom: 2),
                    ])
            ]),
        clock: clock)
}
