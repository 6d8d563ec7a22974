#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = PulseCounter

/// Counts rising edges; once a second, the count of the last second joins a ring of the
/// last 60, and the rate over `window_s` of them is published.
struct PulseCounter: DeviceModule {
    enum Parameter {
        static let calibration = 0
        static let window = 1
    }

    static let seconds = 60

    var total: Int64 = 0
    var thisSecond = 0
    var perSecond = [Int](repeating: 0, count: PulseCounter.seconds)
    var next = 0

    init() {
        Host.setTimer(everyMilliseconds: 1000)
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        guard version.major == 1, let format = state.readInt(), format == 1, let total = state.readInt64(),
            let thisSecond = state.readInt(), let next = state.readInt(), (0..<Self.seconds).contains(next)
        else { return nil }
        var ring: [Int] = []
        for _ in 0..<Self.seconds {
            guard let count = state.readInt() else { return nil }
            ring.append(count)
        }
        self.total = total
        self.thisSecond = thisSecond
        self.next = next
        perSecond = ring
        Host.setTimer(everyMilliseconds: 1000)
    }

    func snapshot(into state: inout StateWriter) {
        state.write(1)
        state.write(total)
        state.write(thisSecond)
        state.write(next)
        for count in perSecond { state.write(count) }
    }

    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        total += 1
        thisSecond += 1
    }

    mutating func tick() {
        perSecond[next] = thisSecond
        next = (next + 1) % Self.seconds
        thisSecond = 0
        let window = max(1, min(Self.seconds, Int(Host.parameter(Parameter.window))))
        var sum = 0
        for back in 1...window {
            sum += perSecond[(next - back + Self.seconds) % Self.seconds]
        }
        let hertz = Double(sum) / Double(window)
        Host.publish("count", Double(total))
        Host.publish("hertz", hertz)
        Host.publish("rate", hertz / Host.parameter(Parameter.calibration))
    }
}
