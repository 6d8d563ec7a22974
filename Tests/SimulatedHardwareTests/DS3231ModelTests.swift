import SimulatedHardware
import Testing

@Suite struct DS3231ModelTests {
    let start: UInt64 = 5 * second

    /// Seconds, minutes, hours, day, date, month/century, year.
    func timeRegisters(_ rtc: DS3231Model, at clock: UInt64) -> [UInt8] {
        rtc.read(0x00, count: 7, at: clock)
    }

    @Test func keepsTicking() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 11, 23, 17, 30, 5), at: start)
        #expect(timeRegisters(rtc, at: start) == [0x05, 0x30, 0x17, 0x01, 0x23, 0x11, 0x26])
        #expect(timeRegisters(rtc, at: start + 61 * second)[0...1] == [0x06, 0x31])
    }

    @Test func rollsOverAtMidnightAndIncrementsTheWeekday() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 3, 14, 23, 59, 59), at: start)
        rtc.write(0x03, [0x07], at: start)  // weekday 7
        #expect(timeRegisters(rtc, at: start + second) == [0x00, 0x00, 0x00, 0x01, 0x15, 0x03, 0x26])
    }

    @Test func rollsOverAtTheEndOfMonthsAndYears() {
        let april = DS3231Model(unixSeconds: unix(2026, 4, 30, 23, 59, 59), at: start)
        #expect(timeRegisters(april, at: start + second)[4...6] == [0x01, 0x05, 0x26])
        let newYear = DS3231Model(unixSeconds: unix(2026, 12, 31, 23, 59, 59), at: start)
        #expect(timeRegisters(newYear, at: start + second)[4...6] == [0x01, 0x01, 0x27])
    }

    @Test func countsLeapDaysInLeapYearsOnly() {
        let leap = DS3231Model(unixSeconds: unix(2028, 2, 28, 23, 59, 59), at: start)
        #expect(timeRegisters(leap, at: start + second)[4...5] == [0x29, 0x02])
        #expect(timeRegisters(leap, at: start + second + 86_400 * second)[4...5] == [0x01, 0x03])
        let common = DS3231Model(unixSeconds: unix(2027, 2, 28, 23, 59, 59), at: start)
        #expect(timeRegisters(common, at: start + second)[4...5] == [0x01, 0x03])
    }

    @Test func togglesTheCenturyBitWhenTheYearOverflows() {
        let rtc = DS3231Model(unixSeconds: unix(2099, 12, 31, 23, 59, 59), at: start)
        let after = timeRegisters(rtc, at: start + second)
        #expect(after[5] == 0x81)  // century bit + January
        #expect(after[6] == 0x00)
    }

    @Test func writesTimeInTwelveHourMode() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start)
        // 11:59:59 PM in 12-hour mode: bit 6 (12 h) | bit 5 (PM) | 11.
        rtc.write(0x00, [0x59, 0x59, 0x40 | 0x20 | 0x11], at: start)
        #expect(rtc.time(at: start).hour == 23)
        // One second later it is 12 AM of the next day, still in 12-hour mode.
        #expect(timeRegisters(rtc, at: start + second)[2] == 0x40 | 0x12)
        #expect(rtc.time(at: start + second).hour == 0)
        rtc.write(0x02, [0x13], at: start + second)  // back to 24-hour mode
        #expect(timeRegisters(rtc, at: start + second)[2] == 0x13)
    }

    @Test func writingSecondsResetsTheDividerChain() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start)
        let later = start + 2 * second + 900_000_000  // 2.9 s in
        rtc.write(0x00, [0x10], at: later)
        // 0.5 s after the write the seconds have not yet advanced: the count restarted.
        #expect(timeRegisters(rtc, at: later + 500_000_000)[0] == 0x10)
        #expect(timeRegisters(rtc, at: later + second)[0] == 0x11)
    }

    @Test func setsTheOscillatorStopFlagOnAFirstPowerUp() {
        let fresh = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start, lostPower: true)
        #expect(fresh.read(0x0F, count: 1, at: start)[0] & 0x80 != 0)
        #expect(fresh.hasLostTime(at: start))
        // Writing 0 to OSF clears it; writing 1 cannot set it.
        fresh.write(0x0F, [0x08], at: start)
        #expect(fresh.read(0x0F, count: 1, at: start)[0] & 0x80 == 0)
        fresh.write(0x0F, [0x88], at: start)
        #expect(fresh.read(0x0F, count: 1, at: start)[0] & 0x80 == 0)
    }

    @Test func losesTimeAndSetsTheFlagWithoutABattery() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 6, 1, 12), at: start)
        #expect(!rtc.hasLostTime(at: start))
        rtc.losePower(batteryBacked: false, forNanoseconds: 60 * second, at: start)
        #expect(rtc.hasLostTime(at: start))
        #expect(timeRegisters(rtc, at: start) == [0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00])
        #expect(rtc.read(0x0E, count: 1, at: start) == [0x1C])
    }

    @Test func keepsTimeOnBatteryUnlessEOSCIsSet() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 6, 1, 12), at: start)
        rtc.losePower(batteryBacked: true, forNanoseconds: 60 * second, at: start)
        #expect(!rtc.hasLostTime(at: start))
        #expect(rtc.time(at: start + 10 * second).second == 10)
        rtc.write(0x0E, [0x80 | 0x1C], at: start)  // EOSC: stop the oscillator on battery
        rtc.losePower(batteryBacked: true, forNanoseconds: 60 * second, at: start)
        #expect(rtc.hasLostTime(at: start))
        // The 60 s without an oscillator are missing from the count: 12:01 reads 12:00.
        #expect(rtc.time(at: start + 60 * second).hour == 12)
        #expect(rtc.time(at: start + 60 * second).minute == 0)
    }

    @Test func agingOffsetSlowsTheClockByATenthPPMPerStep() {
        let days: UInt64 = 1_000_000 * second  // 10^6 s: 1 ppm is exactly 1 s
        let nominal = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start)
        let aged = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start)
        aged.write(0x10, [10], at: start)  // +10 steps ≈ +1 ppm of capacitance: slower
        #expect(aged.read(0x10, count: 1, at: start) == [10])
        #expect(aged.agingOffset == 10)
        let nominalSeconds = RTCCalendar.seconds(from: nominal.time(at: start + days))
        let agedSeconds = RTCCalendar.seconds(from: aged.time(at: start + days))
        #expect(nominalSeconds - agedSeconds == 1)
        let fast = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start)
        fast.write(0x10, [UInt8(bitPattern: -20)], at: start)
        #expect(RTCCalendar.seconds(from: fast.time(at: start + days)) - nominalSeconds == 2)
    }

    @Test func crystalDriftMovesTheCount() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start, driftPPM: 5)
        #expect(rtc.time(at: start + 1_000_000 * second).second == 1_000_005 % 60)
    }

    @Test(arguments: [(24.25, UInt8(24), UInt8(0x40)), (-5.75, UInt8(bitPattern: -6), UInt8(0x40)), (0.5, 0, 0x80)])
    func reportsTemperatureInQuarterDegrees(celsius: Double, msb: UInt8, lsb: UInt8) {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start, temperature: celsius)
        #expect(rtc.read(0x11, count: 2, at: start) == [msb, lsb])
    }

    @Test func blockReadsAreBufferedAtTheStartOfTheTransaction() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1, 23, 59, 59), at: start)
        // One transaction reads all registers from one instant, never a torn 23:59:00 next day.
        let bytes = rtc.read(0x00, count: 7, at: start)
        #expect(bytes[0] == 0x59 && bytes[2] == 0x23 && bytes[4] == 0x01)
    }

    @Test func pointerWrapsFromTheLastRegisterToZero() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1, 0, 0, 7), at: start, temperature: 21)
        #expect(rtc.read(0x11, count: 3, at: start) == [21, 0x00, 0x07])
    }

    @Test func storesAlarmRegisters() {
        let rtc = DS3231Model(unixSeconds: unix(2026, 1, 1), at: start)
        rtc.write(0x07, [0x30, 0x15, 0x06, 0x81], at: start)
        #expect(rtc.read(0x07, count: 4, at: start) == [0x30, 0x15, 0x06, 0x81])
    }
}
