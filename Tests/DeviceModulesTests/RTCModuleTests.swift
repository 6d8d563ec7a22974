@testable import RTCModule
import Hardware
import SimulatedHardware
import Testing

@Suite struct RTCModuleTests {
    @Test func setsAnUnsynchronizedSystemClockFromTheRTC() throws {
        let bench = Bench(rtc: .init(time: .unixSeconds(1_800_000_000)))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        #expect(bench.time.wallNanoseconds / 1_000_000_000 == 1_800_000_000)
        #expect(harness.readings["rtc_valid"] == 1)
        #expect(harness.logs.contains { $0.message == "system clock set from the RTC: 1800000000" })
    }

    @Test func leavesASynchronizedClockAlone() throws {
        let bench = Bench(rtc: .init(time: .unixSeconds(1_800_000_000)))
        bench.time.setSynchronized(true)
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        #expect(bench.time.wallNanoseconds / 1_000_000_000 == 1_795_455_005)
    }

    @Test func neverSetsTheClockBeforeTheFloor() throws {
        let bench = Bench(rtc: .init(time: .unixSeconds(1_000_000_000)))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        #expect(bench.time.wallNanoseconds / 1_000_000_000 == 1_795_455_005)
        #expect(harness.logs.contains { $0.level == .warning && $0.message.contains("before the time floor") })
    }

    @Test func reportsLostPowerAndDoesNotTrustTheTime() throws {
        let bench = Bench(rtc: .init(time: .unixSeconds(1_800_000_000), lostPower: true))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        #expect(harness.readings["rtc_valid"] == 0)
        #expect(harness.logs.contains { $0.message.contains("oscillator stopped") })
        #expect(bench.time.wallNanoseconds / 1_000_000_000 == 1_795_455_005)
    }

    @Test func writesASynchronizedTimeBackAndClearsTheFlag() throws {
        let bench = Bench(rtc: .init(time: .unixSeconds(1_000_000_000), lostPower: true))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        bench.time.setSynchronized(true)
        try bench.run(harness, for: 1 * seconds)
        #expect(harness.readings["syncs"] == 1)
        #expect(harness.readings["rtc_valid"] == 1)
        let rtcTime = try bench.board.withRTC(bus: 1, address: 0x68) { rtc, now in
            (RTCCalendar.seconds(from: rtc.time(at: now)) + RTCCalendar.unixTimeOf2000, rtc.hasLostTime(at: now))
        }
        #expect(abs(rtcTime.0 - 1_795_455_006) <= 1)
        #expect(!rtcTime.1)
        // Not again before the interval.
        try bench.run(harness, for: 5 * seconds)
        #expect(harness.readings["syncs"] == 1)
    }

    @Test func publishesTemperatureAndTunesAging() throws {
        let bench = Bench()
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true, parameters: ["aging": 5])
        harness.start()
        #expect(try bench.board.i2cBus(1).readByte(from: I2CAddress(0x68, bus: 1), register: 0x10) == 5)
        harness.tick()
        #expect(harness.readings["temperature"] == 24.25)
        try harness.setParameter("aging", -7)
        #expect(try bench.board.i2cBus(1).readByte(from: I2CAddress(0x68, bus: 1), register: 0x10) == UInt8(bitPattern: -7))
        #expect(throws: (any Error).self) { try harness.setParameter("aging", 200) }
    }

    @Test func survivesANackingRTC() throws {
        let bench = Bench()
        try bench.board.inject(.i2cNack(bus: 1, address: 0x68))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        harness.tick()
        #expect(harness.logs.contains { $0.level == .error && $0.message == "cannot read the RTC" })
    }

    @Test func reportsFailingWhileTheChipDoesNotAnswerAndHealthyOnceItDoes() throws {
        let bench = Bench()
        try bench.board.inject(.i2cNack(bus: 1, address: 0x68))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        #expect(harness.health == .failing(reason: "RTC chip not answering"))
        harness.tick()
        #expect(harness.health.isFailing)
        bench.board.clearAllFaults()
        harness.tick()
        #expect(harness.health == .healthy)
    }

    @Test func reportsDegradedWhileItsTimeIsNotValidAndHealthyAfterTheWriteBack() throws {
        let bench = Bench(rtc: .init(time: .unixSeconds(1_800_000_000), lostPower: true))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        #expect(harness.health.word == "degraded")
        #expect(harness.health.reason?.contains("oscillator stopped") == true)
        bench.time.setSynchronized(true)
        try bench.run(harness, for: 1 * seconds)
        #expect(harness.health == .healthy)
    }

    @Test func isRefusedWithoutTheClockGrant() throws {
        #expect {
            _ = try Bench().harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: false)
        } throws: { error in
            "\(error)".contains("needs to set the system clock, which service rtc is not granted")
        }
    }

    @Test func stateCarriesOverAnUpgrade() throws {
        let bench = Bench()
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true)
        harness.start()
        bench.time.setSynchronized(true)
        harness.tick()
        let state = harness.snapshot()
        #expect(harness.upgrade(from: .init(major: 1, minor: 0, patch: 0), state: state))
        #expect(harness.module?.syncs == 1)
        #expect(!harness.upgrade(from: .init(major: 2, minor: 0, patch: 0), state: state))
        #expect(!harness.upgrade(from: .init(major: 1, minor: 0, patch: 0), state: [9]))
    }

    @Test func aHaltedDS1307IsNotTrustedAndIsStartedByTheWriteBack() throws {
        let bench = Bench(model: .ds1307(.init(time: .unixSeconds(1_800_000_000), lostPower: true)))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true, parameters: ["chip": 1])
        harness.start()
        #expect(harness.readings["rtc_valid"] == 0)
        bench.time.setSynchronized(true)
        try bench.run(harness, for: 1 * seconds)
        #expect(harness.readings["syncs"] == 1)
        let (halted, fields) = try bench.board.withRTC(bus: 1, address: 0x68) { rtc, now in (rtc.hasLostTime(at: now), rtc.time(at: now)) }
        #expect(!halted)
        #expect(fields.year == 26 && fields.month == 11 && fields.date == 23)
        #expect(harness.readings["temperature"] == nil)
    }

    @Test func aPCF8523IsReadAtItsOwnRegistersAndGetsBatterySwitchOver() throws {
        let bench = Bench(model: .pcf8523(.init(time: .unixSeconds(1_800_000_000))))
        let harness = try bench.harness(RTCService.self, "rtc", i2c: ["i2c-1@0x68"], clockSet: true, parameters: ["chip": 2])
        harness.start()
        #expect(bench.time.wallNanoseconds / 1_000_000_000 == 1_800_000_000)
        bench.time.setSynchronized(true)
        harness.tick()
        #expect(harness.readings["syncs"] == 1)
        // With switch-over configured the chip now keeps time through a battery-backed power cut.
        let lost = try bench.board.withRTC(bus: 1, address: 0x68) { rtc, now -> Bool in
            rtc.losePower(batteryBacked: true, forNanoseconds: 60 * seconds, at: now)
            return rtc.hasLostTime(at: now)
        }
        #expect(!lost)
        #expect(abs((harness.readings["rtc_time"] ?? 0) - 1_800_000_000) <= 1)
    }

    @Test func calendarArithmeticMatchesKnownDates() {
        #expect(Calendar.unixSeconds(year: 2026, month: 11, day: 23, hour: 17, minute: 30, second: 5) == 1_795_455_005)
        #expect(Calendar.unixSeconds(year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0) == 951_782_400)
        let fields = Calendar.fields(unixSeconds: 1_795_455_005)
        #expect((fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second) == (2026, 11, 23, 17, 30, 5))
        #expect(fields.weekday == 2)  // a Monday, Sunday being 1
        #expect(Calendar.fields(unixSeconds: 0).weekday == 5)  // 1970-01-01, a Thursday
    }
}
