import SimulatedHardware
import Testing

@Suite struct PCF8523ModelTests {
    let start: UInt64 = 5 * second

    @Test func timeRegistersStartAt0x03WithTheWeekdayAfterTheDate() {
        // 2026-11-23 is a Monday: weekday 1 counting Sunday as 0.
        let rtc = PCF8523Model(unixSeconds: unix(2026, 11, 23, 9, 15, 30), at: start)
        #expect(rtc.read(0x03, count: 7, at: start) == [0x30, 0x15, 0x09, 0x23, 0x01, 0x11, 0x26])
    }

    @Test func stopBitFreezesTheClockAndReleasingItRestartsTheSecond() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start)
        rtc.write(0x00, [0x20], at: start + 500_000_000)
        #expect(rtc.time(at: start + 10 * second).second == 0)
        rtc.write(0x00, [0x00], at: start + 10 * second)
        #expect(rtc.time(at: start + 10 * second + 999_000_000).second == 0)
        #expect(rtc.time(at: start + 11 * second).second == 1)
    }

    @Test func twelveHourModeComesFromControl1() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 1, 1, 15), at: start)
        rtc.write(0x00, [0x08], at: start)
        #expect(rtc.read(0x05, count: 1, at: start) == [0x20 | 0x03])
        rtc.write(0x05, [0x12], at: start)  // 12 AM
        #expect(rtc.time(at: start).hour == 0)
    }

    @Test func theOSFlagIsSetOnPowerUpAndClearedByWritingSeconds() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start, lostPower: true)
        #expect(rtc.read(0x03, count: 1, at: start)[0] & 0x80 != 0)
        rtc.write(0x03, [0x00], at: start)
        #expect(!rtc.hasLostTime(at: start))
    }

    @Test func defaultBatterySwitchOverIsDisabledSoABatteryDoesNotHelp() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 7, 1), at: start)
        #expect(rtc.read(0x02, count: 1, at: start) == [0xE0])
        rtc.losePower(batteryBacked: true, forNanoseconds: 10 * second, at: start)
        #expect(rtc.hasLostTime(at: start))
        #expect(rtc.time(at: start).year == 0)
    }

    @Test func configuredSwitchOverKeepsTimeOnBattery() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 7, 1), at: start)
        rtc.write(0x02, [0x00], at: start)  // standard switch-over mode
        rtc.losePower(batteryBacked: true, forNanoseconds: 10 * second, at: start)
        #expect(!rtc.hasLostTime(at: start))
        #expect(rtc.time(at: start).year == 26)
    }

    @Test func offsetRegisterCorrectsTheRate() {
        let nominal = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start)
        let corrected = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start)
        corrected.write(0x0E, [0x80 | 0x05], at: start)  // mode 1, +5 × 4.069 ppm
        let span = 10_000_000 * second
        let difference = RTCCalendar.seconds(from: corrected.time(at: start + span))
            - RTCCalendar.seconds(from: nominal.time(at: start + span))
        #expect(difference == 203)  // 10^7 s × 20.345 ppm
        let negative = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start)
        negative.write(0x0E, [0x7F], at: start)  // mode 0, −1 × 4.34 ppm: 43.4 s behind
        let behind = RTCCalendar.seconds(from: negative.time(at: start + span))
            - RTCCalendar.seconds(from: nominal.time(at: start + span))
        #expect(behind == -44)
    }

    @Test(arguments: [UInt8(0b010), 0b011, 0b111])
    func switchOverDisabledModesLoseTheTimeOnBattery(mode: UInt8) {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 7, 1), at: start)
        rtc.write(0x02, [mode << 5], at: start)
        rtc.losePower(batteryBacked: true, forNanoseconds: 10 * second, at: start)
        #expect(rtc.hasLostTime(at: start))
    }

    @Test func softwareResetReturnsToTwentyFourHourMode() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 1, 1, 15), at: start)
        rtc.write(0x00, [0x08], at: start)
        rtc.write(0x00, [0x58], at: start)
        #expect(rtc.read(0x05, count: 1, at: start) == [0x15])
    }

    @Test func softwareResetRestoresControlRegistersAndFlagsTheTime() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start)
        rtc.write(0x02, [0x00], at: start)
        rtc.write(0x00, [0x58], at: start)
        #expect(rtc.read(0x00, count: 3, at: start) == [0x00, 0x00, 0xE0])
        #expect(rtc.hasLostTime(at: start))
    }

    @Test func pointerWrapsAfter0x13() {
        let rtc = PCF8523Model(unixSeconds: unix(2026, 1, 1), at: start)
        rtc.write(0x13, [0x44], at: start)
        #expect(rtc.read(0x13, count: 2, at: start) == [0x44, 0x00])
    }
}
