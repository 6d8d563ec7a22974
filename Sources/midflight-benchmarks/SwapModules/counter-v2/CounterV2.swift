#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = CounterV2

/// Version 2 of the swap benchmark's module: a total instead of a rising count, times in
/// microseconds, the rate in centihertz, and a count of the upgrades it has been through.
struct CounterV2: DeviceModule {
    var total: Int64 = 0
    var falling: Int64 = 0
    var lastEdgeMicroseconds: Int64 = 0
    var firstEdgeMicroseconds: Int64 = 0
    var rateCentihertz = 0
    var upgrades = 0

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
            total = rising + falling
            self.falling = falling
            lastEdgeMicroseconds = last / 1000
            firstEdgeMicroseconds = first / 1000
            rateCentihertz = rate / 10
            upgrades = 1
        case 2:
            guard let total = state.readInt64(), let falling = state.readInt64(), let last = state.readInt64(),
                let first = state.readInt64(), let rate = state.readInt(), let upgrades = state.readInt()
            else { return nil }
            (self.total, self.falling, lastEdgeMicroseconds, firstEdgeMicroseconds, rateCentihertz) = (total, falling, last, first, rate)
            self.upgrades = upgrades + 1
        default:
            return nil
        }
        Host.setTimer(everyMilliseconds: Int(Host.parameter(0)))
    }

    func snapshot(into state: inout StateWriter) {
        state.write(2)
        state.write(total)
        state.write(falling)
        state.write(lastEdgeMicroseconds)
        state.write(firstEdgeMicroseconds)
        state.write(rateCentihertz)
        state.write(upgrades)
    }

    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        total += 1
        if !rising { falling += 1 }
        if firstEdgeMicroseconds == 0 { firstEdgeMicroseconds = timestampNanoseconds / 1000 }
        lastEdgeMicroseconds = timestampNanoseconds / 1000
    }

    /// 0xFF crashes (the restart benchmark's kill); anything else answers the rising count.
    mutating func call(_ request: [UInt8]) {
        if request.first == 0xFF { fatalError("asked to crash") }
        let count = (total - falling)
        _ = Host.reply((0..<8).map { UInt8(truncatingIfNeeded: count >> ($0 * 8)) })
    }

    mutating func tick() {
        let span = lastEdgeMicroseconds - firstEdgeMicroseconds
        rateCentihertz = span > 0 ? Int((total - falling) * 100_000_000 / span) : 0
        Host.publish("rising", Double(total - falling))
        Host.publish("falling", Double(falling))
        Host.publish("format", 2)
    }
}
