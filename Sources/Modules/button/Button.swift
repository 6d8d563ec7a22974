#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = Button

/// A debounced push button. Each edge restarts the debounce timer; when the contacts have
/// been still for `debounce_ms`, the level read then is the button's state.
struct Button: DeviceModule {
    enum Parameter {
        static let debounce = 0
        static let longPress = 1
        static let activeLow = 2
    }

    static let line = 0

    var pressed = false
    var lastEdge: Int64 = 0
    var pressedAt: Int64 = 0
    var longReported = false
    var presses = 0
    var longPresses = 0

    init() {
        pressed = readPressed() ?? false
        Host.publish("pressed", pressed ? 1 : 0)
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        guard version.major == 1, let format = state.readInt(), format == 1, let pressed = state.readBool(),
            let pressedAt = state.readInt64(), let longReported = state.readBool(), let presses = state.readInt(),
            let longPresses = state.readInt()
        else { return nil }
        self.pressed = pressed
        self.pressedAt = pressedAt
        self.longReported = longReported
        self.presses = presses
        self.longPresses = longPresses
    }

    func snapshot(into state: inout StateWriter) {
        state.write(1)
        state.write(pressed)
        state.write(pressedAt)
        state.write(longReported)
        state.write(presses)
        state.write(longPresses)
    }

    func readPressed() -> Bool? {
        guard let level = Host.readLine(Self.line).value else { return nil }
        return level != (Host.parameter(Parameter.activeLow) != 0)
    }

    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        lastEdge = timestampNanoseconds
        Host.setTimer(everyMilliseconds: Int(Host.parameter(Parameter.debounce)))
    }

    mutating func tick() {
        let now = Host.monotonicNanoseconds
        let debounce = Int64(Host.parameter(Parameter.debounce)) * 1_000_000
        guard now - lastEdge >= debounce else { return }
        if let level = readPressed(), level != pressed {
            pressed = level
            Host.publish("pressed", pressed ? 1 : 0)
            if pressed {
                presses += 1
                pressedAt = lastEdge
                longReported = false
                Host.publish("presses", Double(presses))
                Host.log(.info, "pressed")
            } else {
                var line = LogLine("released after ")
                line.append(Int((lastEdge - pressedAt) / 1_000_000))
                line.append(" ms")
                Host.log(.info, line)
            }
        }
        let longPress = Int64(Host.parameter(Parameter.longPress)) * 1_000_000
        if pressed, !longReported {
            if now - pressedAt >= longPress {
                longReported = true
                longPresses += 1
                Host.publish("long_presses", Double(longPresses))
                Host.log(.info, "long press")
            } else {
                // Wake again exactly when the press becomes a long one.
                Host.setTimer(everyMilliseconds: Int((longPress - (now - pressedAt) + 999_999) / 1_000_000))
                return
            }
        }
        Host.setTimer(everyMilliseconds: 0)
    }
}
