@testable import ButtonModule
import SimulatedHardware
import Testing

@Suite struct ButtonModuleTests {
    @Test func aBouncyPressCountsOnce() throws {
        let bench = Bench()
        let harness = try bench.harness(Button.self, "button", gpio: ["gpiochip0:button"])
        harness.start()
        #expect(harness.readings["pressed"] == 0)
        try bench.board.pressButton(chip: "gpiochip0", line: .name("button"), holdMilliseconds: 200, bounces: 4)
        try bench.run(harness, for: 100 * milliseconds)
        #expect(harness.readings["pressed"] == 1)
        #expect(harness.readings["presses"] == 1)
        try bench.run(harness, for: 300 * milliseconds)
        #expect(harness.readings["pressed"] == 0)
        #expect(harness.readings["presses"] == 1)
        #expect(harness.published.filter { $0.name == "pressed" }.map(\.value) == [0, 1, 0])
        #expect(harness.logs.contains { $0.message.hasPrefix("released after 2") })
    }

    @Test func aLongHoldIsALongPress() throws {
        let bench = Bench()
        let harness = try bench.harness(Button.self, "button", gpio: ["gpiochip0:button"], parameters: ["long_press_ms": 500])
        harness.start()
        try bench.board.pressButton(chip: "gpiochip0", line: .name("button"), holdMilliseconds: 800, bounces: 2)
        try bench.run(harness, for: 400 * milliseconds)
        #expect(harness.readings["long_presses"] == nil)
        try bench.run(harness, for: 200 * milliseconds)
        #expect(harness.readings["long_presses"] == 1)
        try bench.run(harness, for: 500 * milliseconds)
        #expect(harness.readings["long_presses"] == 1)
        #expect(harness.readings["presses"] == 1)
    }

    @Test func debounceLongerThanTheBounceIsWhatCounts() throws {
        let bench = Bench()
        let harness = try bench.harness(Button.self, "button", gpio: ["gpiochip0:button"], parameters: ["debounce_ms": 1])
        harness.start()
        // 1 ms debounce against 0.5 ms bounces still settles once the contacts stop.
        try bench.board.pressButton(chip: "gpiochip0", line: .name("button"), holdMilliseconds: 100, bounces: 3)
        try bench.run(harness, for: 300 * milliseconds, step: 100_000)
        #expect(harness.readings["presses"] == 1)
    }

    @Test func theLineIsBusyForAnotherServiceAndFreeAfterRelease() throws {
        let bench = Bench()
        var harness: ModuleHarnessBox? = ModuleHarnessBox(try bench.harness(Button.self, "button", gpio: ["gpiochip0:17"]))
        #expect {
            _ = try bench.harness(Button.self, "button", service: "button-2", gpio: ["gpiochip0:17"])
        } throws: { error in
            "\(error)".contains("busy") && "\(error)".contains("held by \"button\"")
        }
        harness = nil
        _ = harness
        #expect(throws: Never.self) { try bench.harness(Button.self, "button", service: "button-2", gpio: ["gpiochip0:17"]) }
    }

    @Test func refusesTheWrongNumberOfLines() {
        #expect {
            _ = try Bench().harness(Button.self, "button", gpio: [])
        } throws: { error in
            "\(error)".contains("needs 1 GPIO line(s) (button) but service button is granted 0")
        }
    }
}

/// Holds a harness so a test can drop it (and its lines) at a chosen moment.
final class ModuleHarnessBox {
    let value: AnyObject
    init(_ value: AnyObject) { self.value = value }
}
