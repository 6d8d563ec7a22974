#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = PulseCounterV2

/// Version 1.1.0: keeps its per-second counts newest-first and the total last (format 2).
struct PulseCounterV2: DeviceModule {
    var total: Int64 = 0
    var thisSecond = 0
    /// Newest first.
    var recent: [Int] = []

    init() {
        Host.setTimer(everyMilliseconds: 1000)
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        guard version.major == 1, let format = state.readInt() else { return nil }
        switch format {
        case 1:
            // 1.0.x: total, this second, next index, then a 60-entry ring.
            guard let total = state.readInt64(), let thisSecond = state.readInt(), let next = state.readInt() else { return nil }
            var ring: [Int] = []
            for _ in 0..<60 {
                guard let count = state.readInt() else { return nil }
                ring.append(count)
            }
            self.total = total
            self.thisSecond = thisSecond
            recent = (1...60).map { ring[(next - $0 + 60) % 60] }
        case 2:
            guard let count = state.readInt(), let thisSecond = state.readInt() else { return nil }
            var recent: [Int] = []
            for _ in 0..<count {
                guard let value = state.readInt() else { return nil }
                recent.append(value)
            }
            guard let total = state.readInt64() else { return nil }
            self.recent = recent
            self.thisSecond = thisSecond
            self.total = total
        default:
            return nil
        }
        Host.setTimer(everyMilliseconds: 1000)
    }

    func snapshot(into state: inout StateWriter) {
        state.write(2)
        state.write(recent.count)
        state.write(thisSecond)
        for count in recent { state.write(count) }
        state.write(total)
    }

    mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
        total += 1
        thisSecond += 1
    }

    mutating func tick() {
        recent.insert(thisSecond, at: 0)
        if recent.count > 60 { recent.removeLast() }
        thisSecond = 0
        let window = max(1, min(recent.count, Int(Host.parameter(1))))
        var sum = 0
        for index in 0..<window { sum += recent[index] }
        let hertz = Double(sum) / Double(window)
        Host.publish("count", Double(total))
        Host.publish("hertz", hertz)
        Host.publish("rate", hertz / Host.parameter(0))
        Host.publish("layout", 2)
    }
}
