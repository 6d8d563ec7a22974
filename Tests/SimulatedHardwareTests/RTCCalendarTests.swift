import SimulatedHardware
import Testing

@Suite struct RTCCalendarTests {
    @Test func bcdRoundTrips() {
        for value in 0...99 {
            #expect(BCD.decode(BCD.encode(value)) == value)
        }
        #expect(BCD.encode(59) == 0x59)
        #expect(BCD.decode(0x31) == 31)
    }

    @Test func leapYearsFollowTheChipRule() {
        #expect(RTCCalendar.isLeap(0) && RTCCalendar.isLeap(24) && !RTCCalendar.isLeap(25))
        #expect(RTCCalendar.daysIn(month: 2, year: 24) == 29)
        #expect(RTCCalendar.daysIn(month: 2, year: 26) == 28)
        #expect(RTCCalendar.daysIn(month: 4, year: 26) == 30)
    }

    @Test func chipSecondsMatchUnixTimeThroughTheCentury() {
        // 2026-01-01 00:00:00 UTC and 2099-12-31 23:59:59 UTC.
        for unix: Int64 in [1_767_225_600, 4_102_444_799, 951_782_400] {
            let fields = RTCCalendar.fields(from: unix - RTCCalendar.unixTimeOf2000, centuries: 2)
            #expect(RTCCalendar.seconds(from: fields) == unix - RTCCalendar.unixTimeOf2000)
        }
        let leapDay = RTCCalendar.fields(from: 951_782_400 - RTCCalendar.unixTimeOf2000, centuries: 1)
        #expect(leapDay == RTCFields(second: 0, minute: 0, hour: 0, date: 29, month: 2, year: 0))
    }

    @Test func wrapsAfterTheLastCentury() {
        let end = RTCCalendar.seconds(from: RTCFields(second: 59, minute: 59, hour: 23, date: 31, month: 12, year: 99))
        #expect(RTCCalendar.fields(from: end + 1, centuries: 1) == RTCFields(second: 0, minute: 0, hour: 0, date: 1, month: 1, year: 0))
        #expect(RTCCalendar.fields(from: end + 1, centuries: 2).century == 1)
    }
}
