import SimulatedHardware
import Testing

@Suite struct DS1307ModelTests {
    let start: UInt64 = 5 * second

    @Test func clockHaltBitStopsTheCount() {
        let rtc = DS1307Model(unixSeconds: unix(2026, 5, 1, 8), at: start)
        rtc.write(0x00, [0x80 | 0x10], at: start)  // CH set, 10 s
        #expect(rtc.read(0x00, count: 1, at: start + 30 * second) == [0x90])
        #expect(rtc.hasLostTime(at: start))
        rtc.write(0x00, [0x10], at: start + 30 * second)  // CH cleared
        #expect(rtc.read(0x00, count: 1, at: start + 35 * second) == [0x15])
    }

    @Test func firstPowerUpStartsHalted() {
        let rtc = DS1307Model(unixSeconds: unix(2026, 5, 1), at: start, halted: true)
        #expect(rtc.isHalted)
        #expect(rtc.time(at: start + 100 * second) == rtc.time(at: start))
    }

    @Test func nvramHoldsDataAndThePointerWrapsAt0x3F() {
        let rtc = DS1307Model(unixSeconds: unix(2026, 5, 1, 0, 0, 42), at: start)
        rtc.write(0x08, [1, 2, 3], at: start)
        rtc.write(0x3F, [0xAB], at: start)
        #expect(rtc.read(0x08, count: 3, at: start) == [1, 2, 3])
        #expect(rtc.read(0x3F, count: 2, at: start) == [0xAB, 0x42])
    }

    @Test func registersAbove0x3FAliasTheLowerOnesInsteadOfCrashing() {
        let rtc = DS1307Model(unixSeconds: unix(2026, 5, 1, 0, 0, 42), at: start)
        rtc.write(0x48, [0x77], at: start)
        #expect(rtc.read(0x08, count: 1, at: start) == [0x77])
        #expect(rtc.read(0xC0, count: 1, at: start) == [0x42])
    }

    @Test func keepsTimeAndNVRAMOnBatteryAndLosesBothWithout() {
        let rtc = DS1307Model(unixSeconds: unix(2026, 5, 1, 6), at: start)
        rtc.write(0x20, [0x5A], at: start)
        rtc.losePower(batteryBacked: true, forNanoseconds: 60 * second, at: start)
        #expect(!rtc.hasLostTime(at: start))
        #expect(rtc.read(0x20, count: 1, at: start) == [0x5A])
        rtc.losePower(batteryBacked: false, forNanoseconds: 60 * second, at: start)
        #expect(rtc.hasLostTime(at: start))
        #expect(rtc.read(0x20, count: 1, at: start) == [0x00])
        #expect(rtc.read(0x07, count: 1, at: start) == [0x03])
    }

    @Test func rollsOverTheMonthLikeTheDS3231() {
        let rtc = DS1307Model(unixSeconds: unix(2026, 2, 28, 23, 59, 59), at: start)
        #expect(rtc.read(0x04, count: 2, at: start + second) == [0x01, 0x03])
    }
}
