/// The timekeeping state every RTC model shares: the counter, the weekday register that
/// increments at each midnight independently of the date, and the 12/24-hour mode.
struct RTCCounter: Hashable, Sendable {
    var timekeeper: Timekeeper
    /// Hundred-year spans the chip counts before wrapping (2 with a century bit).
    let centuries: Int
    let weekdays: ClosedRange<Int>
    private var weekdayAtAnchor: Int
    private var anchorDay: Int64
    var twelveHour = false

    init(chipSeconds: Int64, weekday: Int, at clock: UInt64, centuries: Int, weekdays: ClosedRange<Int>) {
        timekeeper = Timekeeper(chipNanoseconds: chipSeconds * 1_000_000_000, at: clock)
        self.centuries = centuries
        self.weekdays = weekdays
        weekdayAtAnchor = weekday
        anchorDay = RTCCalendar.dayNumber(chipSeconds)
    }

    func fields(at clock: UInt64) -> RTCFields {
        RTCCalendar.fields(from: timekeeper.chipSeconds(at: clock), centuries: centuries)
    }

    func weekday(at clock: UInt64) -> Int {
        let days = RTCCalendar.dayNumber(timekeeper.chipSeconds(at: clock)) - anchorDay
        let span = Int64(weekdays.count)
        let index = (Int64(weekdayAtAnchor - weekdays.lowerBound) + days % span + span) % span
        return weekdays.lowerBound + Int(index)
    }

    /// Stores new counter values. Unless the seconds register was written the sub-second
    /// divider keeps its phase.
    mutating func set(_ fields: RTCFields, weekday: Int, resetDivider: Bool, at clock: UInt64) {
        let seconds = RTCCalendar.seconds(from: fields)
        let current = timekeeper.chipNanoseconds(at: clock)
        let fraction = resetDivider ? 0 : ((current % 1_000_000_000) + 1_000_000_000) % 1_000_000_000
        timekeeper.set(chipNanoseconds: seconds * 1_000_000_000 + fraction, at: clock)
        weekdayAtAnchor = min(max(weekday, weekdays.lowerBound), weekdays.upperBound)
        anchorDay = RTCCalendar.dayNumber(seconds)
    }

    /// The Maxim hour register layout (DS3231, DS1307): bit 6 selects 12-hour mode,
    /// bit 5 is PM in 12-hour mode.
    func encodeMaximHour(_ hour: Int) -> UInt8 {
        guard twelveHour else { return BCD.encode(hour) }
        let twelve = hour % 12 == 0 ? 12 : hour % 12
        return 0x40 | (hour >= 12 ? 0x20 : 0) | BCD.encode(twelve)
    }

    mutating func decodeMaximHour(_ byte: UInt8) -> Int {
        twelveHour = byte & 0x40 != 0
        guard twelveHour else { return BCD.decode(byte & 0x3F) }
        return BCD.decode(byte & 0x1F) % 12 + (byte & 0x20 != 0 ? 12 : 0)
    }
}

/// The time registers one write transaction touched, applied together when it ends (the
/// chips load their counters from the written registers at the STOP condition).
struct TimeEdit {
    var fields: RTCFields
    var weekday: Int
    var touched = false
    var secondsWritten = false

    init(_ counter: RTCCounter, at clock: UInt64) {
        fields = counter.fields(at: clock)
        weekday = counter.weekday(at: clock)
    }

    func commit(to counter: inout RTCCounter, at clock: UInt64) {
        guard touched else { return }
        counter.set(fields, weekday: weekday, resetDivider: secondsWritten, at: clock)
    }
}

/// The chip seconds for a Unix time, for seeding a model with "now".
public func chipSeconds(fromUnixSeconds unix: Int64) -> Int64 {
    unix - RTCCalendar.unixTimeOf2000
}
