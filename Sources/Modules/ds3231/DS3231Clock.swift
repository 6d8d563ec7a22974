#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = DS3231Clock

/// The DS3231 service, as nerves_time does it: trust the RTC at boot only if its
/// oscillator never stopped and its time is past the floor; once the system clock is
/// synchronized, keep the RTC in step.
struct DS3231Clock: DeviceModule {
    enum Parameter {
        static let aging = 0
        static let syncInterval = 1
        static let timeFloor = 2
    }

    enum Register {
        static let seconds: UInt8 = 0x00
        static let status: UInt8 = 0x0F
        static let aging: UInt8 = 0x10
        static let temperature: UInt8 = 0x11
        static let oscillatorStopped: UInt8 = 0x80
    }

    static let rtc = 0

    /// Whether the RTC's time can be trusted (OSF clear, or we wrote it ourselves).
    var rtcValid = false
    /// Monotonic time of the last write-back; 0 before the first.
    var lastSync: Int64 = 0
    var syncs = 0
    var failures = 0

    init() {
        Host.setTimer(everyMilliseconds: 1000)
        writeAging(Host.parameter(Parameter.aging))
        startUp()
    }

    init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
        guard version.major == 1, let format = state.readInt(), format == 1, let valid = state.readBool(),
            let lastSync = state.readInt64(), let syncs = state.readInt(), let failures = state.readInt()
        else { return nil }
        rtcValid = valid
        self.lastSync = lastSync
        self.syncs = syncs
        self.failures = failures
        Host.setTimer(everyMilliseconds: 1000)
    }

    func snapshot(into state: inout StateWriter) {
        state.write(1)
        state.write(rtcValid)
        state.write(lastSync)
        state.write(syncs)
        state.write(failures)
    }

    mutating func startUp() {
        guard let status = Host.readRegisters(device: Self.rtc, from: Register.status, count: 1).value,
            let seconds = readTime()
        else {
            failures += 1
            Host.log(.error, "cannot read the RTC")
            return
        }
        rtcValid = status[0] & Register.oscillatorStopped == 0
        Host.publish("rtc_valid", rtcValid ? 1 : 0)
        guard rtcValid else {
            Host.log(.warning, "RTC oscillator stopped (lost power): its time is not valid")
            return
        }
        guard !Host.isWallClockSynchronized else { return }
        guard seconds >= Int64(Host.parameter(Parameter.timeFloor)) else {
            Host.log(.warning, "RTC time is before the time floor: system clock left alone")
            return
        }
        if Host.setWallClock(nanoseconds: seconds * 1_000_000_000).isOK {
            var line = LogLine("system clock set from the RTC: ")
            line.append(Int(seconds))
            Host.log(.info, line)
        } else {
            Host.log(.error, "could not set the system clock")
        }
    }

    mutating func tick() {
        if let seconds = readTime() {
            Host.publish("rtc_time", Double(seconds))
            Host.publish("offset_s", Double(seconds) - Double(Host.wallNanoseconds / 1_000_000_000))
        } else {
            failures += 1
        }
        if let bytes = Host.readRegisters(device: Self.rtc, from: Register.temperature, count: 2).value {
            // Ten-bit two's complement in quarter degrees: MSB integer, LSB bits 7–6.
            let quarters = Int(Int8(bitPattern: bytes[0])) * 4 + Int(bytes[1] >> 6)
            Host.publish("temperature", Double(quarters) / 4)
        }
        let interval = Int64(Host.parameter(Parameter.syncInterval)) * 1_000_000_000
        let now = Host.monotonicNanoseconds
        if Host.isWallClockSynchronized, lastSync == 0 || now - lastSync >= interval {
            writeBack(now: now)
        }
    }

    mutating func parameterChanged(index: Int, value: Double) {
        if index == Parameter.aging { writeAging(value) }
    }

    /// Writes the system time into the RTC and clears OSF.
    mutating func writeBack(now: Int64) {
        let seconds = Host.wallNanoseconds / 1_000_000_000
        let fields = Calendar.fields(unixSeconds: seconds)
        let registers: [UInt8] = [
            bcd(fields.second), bcd(fields.minute), bcd(fields.hour), UInt8(fields.weekday), bcd(fields.day),
            (fields.year >= 2100 ? 0x80 : 0) | bcd(fields.month), bcd(fields.year % 100),
        ]
        guard Host.writeRegisters(device: Self.rtc, at: Register.seconds, registers).isOK,
            let status = Host.readRegisters(device: Self.rtc, from: Register.status, count: 1).value,
            Host.writeRegisters(device: Self.rtc, at: Register.status, [status[0] & ~Register.oscillatorStopped]).isOK
        else {
            failures += 1
            Host.log(.error, "cannot write the RTC")
            return
        }
        lastSync = now
        syncs += 1
        rtcValid = true
        Host.publish("rtc_valid", 1)
        Host.publish("syncs", Double(syncs))
        Host.log(.info, "RTC set from the synchronized system clock")
    }

    func writeAging(_ value: Double) {
        guard value.isFinite, value >= -128, value <= 127 else { return }
        _ = Host.writeRegisters(device: Self.rtc, at: Register.aging, [UInt8(bitPattern: Int8(value))])
    }

    /// The RTC's time as Unix seconds, or nil if it cannot be read.
    func readTime() -> Int64? {
        guard let bytes = Host.readRegisters(device: Self.rtc, from: Register.seconds, count: 7).value else { return nil }
        let hourByte = bytes[2]
        var hour: Int
        if hourByte & 0x40 != 0 {
            // 12-hour mode: bit 5 is PM, 12 AM is midnight.
            hour = unbcd(hourByte & 0x1F) % 12
            if hourByte & 0x20 != 0 { hour += 12 }
        } else {
            hour = unbcd(hourByte & 0x3F)
        }
        let year = 2000 + (bytes[5] & 0x80 != 0 ? 100 : 0) + unbcd(bytes[6])
        return Calendar.unixSeconds(
            year: year, month: unbcd(bytes[5] & 0x1F), day: unbcd(bytes[4] & 0x3F), hour: hour,
            minute: unbcd(bytes[1] & 0x7F), second: unbcd(bytes[0] & 0x7F))
    }
}

func bcd(_ value: Int) -> UInt8 { UInt8((value / 10) << 4 | value % 10) }
func unbcd(_ byte: UInt8) -> Int { Int(byte >> 4) * 10 + Int(byte & 0x0F) }

/// Civil-date arithmetic (Howard Hinnant's algorithms) in 64-bit integers, since `Int`
/// is 32 bits on wasm32.
enum Calendar {
    struct Fields {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        /// 1 (Sunday) … 7, the DS3231's day register as Linux's rtc-ds1307 driver uses it.
        var weekday: Int
    }

    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shifted = Int64((month + 9) % 12)
        let dayOfYear = (153 * shifted + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func unixSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        days(year: year, month: month, day: day) * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }

    static func fields(unixSeconds: Int64) -> Fields {
        let dayNumber = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secondOfDay = unixSeconds - dayNumber * 86_400
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // 1970-01-01 was a Thursday: weekday 5 counting Sunday as 1.
        let weekday = Int(((dayNumber % 7 + 7) % 7 + 4) % 7) + 1
        return Fields(
            year: Int(year), month: Int(month), day: Int(day), hour: Int(secondOfDay / 3600),
            minute: Int(secondOfDay / 60 % 60), second: Int(secondOfDay % 60), weekday: weekday)
    }
}
