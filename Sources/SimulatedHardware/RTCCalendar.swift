/// Calendar fields as an RTC chip counts them: two-digit year (plus a century bit on
/// chips that have one), leap year whenever `year % 4 == 0` — the rule DS3231, DS1307 and
/// PCF8523 all implement, valid from 2000 to 2099 (2100 is wrongly treated as leap,
/// exactly as the chips do).
public struct RTCFields: Hashable, Sendable {
    public var second: Int
    public var minute: Int
    public var hour: Int
    /// 1–31.
    public var date: Int
    /// 1–12.
    public var month: Int
    /// 0–99.
    public var year: Int
    /// 0 or 1: DS3231's century bit; always 0 on chips without one.
    public var century: Int

    public init(second: Int, minute: Int, hour: Int, date: Int, month: Int, year: Int, century: Int = 0) {
        self.second = second
        self.minute = minute
        self.hour = hour
        self.date = date
        self.month = month
        self.year = year
        self.century = century
    }
}

/// Conversions between chip seconds (seconds since 2000-01-01 00:00:00 in the chip's
/// own calendar) and calendar fields.
public enum RTCCalendar {
    public static let secondsPerDay: Int64 = 86_400
    /// Unix time of 2000-01-01 00:00:00 UTC.
    public static let unixTimeOf2000: Int64 = 946_684_800

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Chip seconds for the fields. Out-of-range fields (a date of 31 in a 30-day month)
    /// carry into the next unit, as the counters do when they roll over from a bad value.
    public static func seconds(from fields: RTCFields) -> Int64 {
        let yearIndex = fields.century * 100 + min(max(fields.year, 0), 99)
        var days: Int64 = 0
        for index in 0..<yearIndex {
            days += isLeap(index % 100) ? 366 : 365
        }
        let month = min(max(fields.month, 1), 12)
        for earlier in 1..<month {
            days += Int64(daysIn(month: earlier, year: fields.year))
        }
        days += Int64(max(fields.date, 1) - 1)
        return days * secondsPerDay + Int64(fields.hour) * 3600 + Int64(fields.minute) * 60 + Int64(fields.second)
    }

    /// Fields for chip seconds, wrapping after `centuries` hundred years.
    public static func fields(from seconds: Int64, centuries: Int) -> RTCFields {
        let span = Int64(centuries) * (100 * 365 + 25) * secondsPerDay
        var remaining = ((seconds % span) + span) % span
        var days = remaining / secondsPerDay
        remaining %= secondsPerDay
        var yearIndex = 0
        while true {
            let length: Int64 = isLeap(yearIndex % 100) ? 366 : 365
            if days < length { break }
            days -= length
            yearIndex += 1
        }
        let year = yearIndex % 100
        var month = 1
        while days >= Int64(daysIn(month: month, year: year)) {
            days -= Int64(daysIn(month: month, year: year))
            month += 1
        }
        return RTCFields(
            second: Int(remaining % 60), minute: Int(remaining / 60 % 60), hour: Int(remaining / 3600),
            date: Int(days) + 1, month: month, year: year, century: yearIndex / 100)
    }

    /// Days since 2000-01-01 for chip seconds (floor), for counting midnights.
    public static func dayNumber(_ seconds: Int64) -> Int64 {
        seconds >= 0 ? seconds / secondsPerDay : (seconds - secondsPerDay + 1) / secondsPerDay
    }
}

/// Binary-coded decimal, as every RTC register holds its digits.
public enum BCD {
    public static func encode(_ value: Int) -> UInt8 {
        UInt8(((value / 10) % 10) << 4 | (value % 10))
    }

    public static func decode(_ byte: UInt8) -> Int {
        Int(byte >> 4) * 10 + Int(byte & 0x0F)
    }
}
