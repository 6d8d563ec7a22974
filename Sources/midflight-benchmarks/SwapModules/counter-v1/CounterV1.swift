#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = CounterV1

/// Version 1 of the swap benchmark's module: five fields, times in nanoseconds, the
/// rate in millihertz. Reads version 2's state back (a downgrade is a real transform too).
struct CounterV1: DeviceModule {
    var rising: Int64 = 0
    var falling: Int64 = 0
    var lastEdgeNanoseconds: Int64 = 0
    var firstEdgeNanoseconds: Int64 = 0
    var rateMillihertz = 0

    init() {
        Host.setTimer(everyMilliseconds: Int(Host.parameter(0)))
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        guard let format = state.readInt() else { return nil }
        switch format {
        case 1:
            guard let rising = state.readInt64(), let falling = state.readInt64(), let last = state.readInt64(),
                let first = state.readInt64(), let rate = state.readInt()
            else { return nil }
            (self.rising, self.falling, lastEdgeNanoseconds, firstEdgeNanoseconds, rateMillihertz) = (rising, falling, last, first, rate)
        case 2:
            // Version 2: total and falling, microseconds, centihertz, and a swap count v1 drops.
            guard let total = state.readInt64(), let falling = state.readInt64(), let last = state.readInt64(),
                let first = state.readInt64(), let rate = state.readInt(), state.readInt() != nil
            else { return nil }
            rising = total - falling
            self.falling = falling
            lastEdgeNanoseconds = last * 1000
            firstEdgeNanoseconds = first * 1000
            rateMillihertz = rate * 10
        default:
            return nil
        }
        Host.setTimer(everyMilliseconds: Int(Host.parameter(0)))
    }

    func snapshot(into state: inout StateWriter) {
        state.write(1)
        state.write(rising)
        state.write(falling)
        state.write(lastEdgeNanoseconds)
        state.write(firstEdgeNanoseconds)
        state.write(rateMillihertz)
    }

    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        if rising { self.rising += 1 } else { falling += 1 }
        if firstEdgeNanoseconds == 0 { firstEdgeNanoseconds = timestampNanoseconds }
        lastEdgeNanoseconds = timestampNanoseconds
    }

    /// 0xFF crashes (the restart benchmark's kill); anything else answers the rising count.
    mutating func call(_ request: [UInt8]) {
        if request.first == 0xFF { fatalError("asked to crash") }
        let count = rising
        _ = Host.reply((0..<8).map { UInt8(truncatingIfNeeded: count >> ($0 * 8)) })
    }

    mutating func tick() {
        let span = lastEdgeNanoseconds - firstEdgeNanoseconds
        rateMillihertz = span > 0 ? Int(rising * 1_000_000_000_000 / span) : 0
        Host.publish("rising", Double(rising))
        Host.publish("falling", Double(falling))
        Host.publish("format", 1)
    }
}
