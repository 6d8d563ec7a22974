#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = Threshold

/// On at `threshold`, off at `threshold - hysteresis`: no chatter around the edge.
struct Threshold: DeviceModule {
    enum Parameter {
        static let threshold = 0
        static let hysteresis = 1
        static let invert = 2
    }

    static let output = 0

    var on = false
    var last = Double.nan
    var switches = 0

    init() {
        drive()
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        guard version.major == 1, let format = state.readInt(), format == 1, let on = state.readBool(),
            let last = state.readDouble(), let switches = state.readInt()
        else { return nil }
        self.on = on
        self.last = last
        self.switches = switches
        drive()
    }

    func snapshot(into state: inout StateWriter) {
        state.write(1)
        state.write(on)
        state.write(last)
        state.write(switches)
    }

    mutating func reading(input: Int, value: Double) {
        last = value
        evaluate()
    }

    mutating func parameterChanged(index: Int, value: Double) {
        evaluate()
        drive()
    }

    mutating func evaluate() {
        guard !last.isNaN else { return }
        let threshold = Host.parameter(Parameter.threshold)
        let next = on ? last > threshold - Host.parameter(Parameter.hysteresis) : last >= threshold
        if next != on {
            on = next
            switches += 1
            Host.log(.info, on ? "on" : "off")
            drive()
        }
    }

    func drive() {
        let invert = Host.parameter(Parameter.invert) != 0
        if !Host.writeLine(Self.output, on != invert).isOK {
            Host.log(.error, "cannot drive the output")
        }
        Host.publish("output", on ? 1 : 0)
    }
}
