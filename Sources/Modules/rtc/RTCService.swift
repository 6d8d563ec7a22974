#if canImport(ModuleSDK)
import ModuleSDK
#endif

typealias ServiceModule = RTCService

/// The RTC service, as nerves_time does it: trust the RTC at boot only if its oscillator
/// never stopped and its time is past the floor; once the system clock is synchronized,
/// keep the RTC in step. One module for the three common chips (the `chip` parameter).
struct RTCService: DeviceModule {
    enum Parameter {
        static let chip = 0
        static let aging = 1
        static let syncInterval = 2
        static let timeFloor = 3
    }

    static let rtc = 0

    /// Whether the RTC's time can be trusted (its stop flag clear, or we wrote it ourselves).
    var rtcValid = false
    /// Monotonic time of the last write-back; 0 before the first.
    var lastSync: Int64 = 0
    var syncs = 0
    var failures = 0
    /// What the agent last heard about our health (`Report`), so it hears only changes;
    /// not carried across a swap, where the new instance starts `healthy` on the host.
    var reported = Report.unknown

    /// The health reports this service makes.
    enum Report {
        case unknown, healthy, chipSilent, timeLost
    }

    var chip: RTCChip { RTCChip(rawValue: Int(Host.parameter(Parameter.chip))) ?? .ds3231 }

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

    /// Tells the agent how the service is: failing while the chip does not answer (the
    /// clock cannot be kept), degraded while its time is not valid, healthy otherwise.
    mutating func reportHealth(chipAnswered: Bool) {
        let now: Report = !chipAnswered ? .chipSilent : rtcValid ? .healthy : .timeLost
        guard now != reported else { return }
        reported = now
        switch now {
        case .chipSilent: Host.reportHealth(.failing, "RTC chip not answering")
        case .timeLost: Host.reportHealth(.degraded, "RTC time not valid (oscillator stopped) until the system clock is synchronized")
        case .healthy, .unknown: Host.reportHealth(.healthy)
        }
    }

    mutating func startUp() {
        guard let reading = chip.read() else {
            failures += 1
            Host.log(.error, "cannot read the RTC")
            reportHealth(chipAnswered: false)
            return
        }
        rtcValid = !reading.lostTime
        reportHealth(chipAnswered: true)
        Host.publish("rtc_valid", rtcValid ? 1 : 0)
        guard rtcValid else {
            Host.log(.warning, "RTC oscillator stopped (lost power): its time is not valid")
            return
        }
        guard !Host.isWallClockSynchronized else { return }
        guard reading.seconds >= Int64(Host.parameter(Parameter.timeFloor)) else {
            Host.log(.warning, "RTC time is before the time floor: system clock left alone")
            return
        }
        if Host.setWallClock(nanoseconds: reading.seconds * 1_000_000_000).isOK {
            var line = LogLine("system clock set from the RTC: ")
            line.append(Int(reading.seconds))
            Host.log(.info, line)
        } else {
            Host.log(.error, "could not set the system clock")
        }
    }

    mutating func tick() {
        if let reading = chip.read() {
            Host.publish("rtc_time", Double(reading.seconds))
            Host.publish("offset_s", Double(reading.seconds) - Double(Host.wallNanoseconds / 1_000_000_000))
            if !rtcValid, !reading.lostTime {
                // The chip answers again (it did not at start) and kept its time.
                rtcValid = true
                Host.publish("rtc_valid", 1)
            }
            reportHealth(chipAnswered: true)
        } else {
            failures += 1
            reportHealth(chipAnswered: false)
        }
        if let celsius = chip.temperature() {
            Host.publish("temperature", celsius)
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

    /// Writes the system time into the RTC, which also clears its stop flag.
    mutating func writeBack(now: Int64) {
        guard chip.write(unixSeconds: Host.wallNanoseconds / 1_000_000_000) else {
            failures += 1
            Host.log(.error, "cannot write the RTC")
            return
        }
        lastSync = now
        syncs += 1
        rtcValid = true
        reportHealth(chipAnswered: true)
        Host.publish("rtc_valid", 1)
        Host.publish("syncs", Double(syncs))
        Host.log(.info, "RTC set from the synchronized system clock")
    }

    func writeAging(_ value: Double) {
        guard chip == .ds3231, value.isFinite, value >= -128, value <= 127 else { return }
        _ = Host.writeRegisters(device: Self.rtc, at: RTCChip.DS3231.aging, [UInt8(bitPattern: Int8(value))])
    }
}

/// What differs between the chips: where the time registers are, in which order, and
/// which bit says the time was lost.
enum RTCChip: Int {
    case ds3231 = 0
    case ds1307 = 1
    case pcf8523 = 2

    enum DS3231 {
        static let status: UInt8 = 0x0F
        static let aging: UInt8 = 0x10
        static let temperature: UInt8 = 0x11
        static let oscillatorStopped: UInt8 = 0x80
    }

    enum PCF8523 {
        static let control1: UInt8 = 0x00
        static let control3: UInt8 = 0x02
        static let seconds: UInt8 = 0x03
        static let twelveHour: UInt8 = 0x08
    }

    /// The time as Unix seconds and whether the chip says it lost it, or nil on a bus error.
    func read() -> (seconds: Int64, lostTime: Bool)? {
        switch self {
        case .ds3231, .ds1307:
            guard let bytes = Host.readRegisters(device: RTCService.rtc, from: 0x00, count: 7).value else { return nil }
            var lost = false
            if self == .ds3231 {
                guard let status = Host.readRegisters(device: RTCService.rtc, from: DS3231.status, count: 1).value else { return nil }
                lost = status[0] & DS3231.oscillatorStopped != 0
            } else {
                lost = bytes[0] & 0x80 != 0  // CH: the clock is halted
            }
            let seconds = Calendar.unixSeconds(
                year: 2000 + (bytes[5] & 0x80 != 0 ? 100 : 0) + unbcd(bytes[6]), month: unbcd(bytes[5] & 0x1F),
                day: unbcd(bytes[4] & 0x3F), hour: maximHour(bytes[2]), minute: unbcd(bytes[1] & 0x7F),
                second: unbcd(bytes[0] & 0x7F))
            return (seconds, lost)
        case .pcf8523:
            guard let control = Host.readRegisters(device: RTCService.rtc, from: PCF8523.control1, count: 1).value,
                let bytes = Host.readRegisters(device: RTCService.rtc, from: PCF8523.seconds, count: 7).value
            else { return nil }
            var hour: Int
            if control[0] & PCF8523.twelveHour != 0 {
                hour = unbcd(bytes[2] & 0x1F) % 12 + (bytes[2] & 0x20 != 0 ? 12 : 0)
            } else {
                hour = unbcd(bytes[2] & 0x3F)
            }
            let seconds = Calendar.unixSeconds(
                year: 2000 + unbcd(bytes[6]), month: unbcd(bytes[5] & 0x1F), day: unbcd(bytes[3] & 0x3F), hour: hour,
                minute: unbcd(bytes[1] & 0x7F), second: unbcd(bytes[0] & 0x7F))
            return (seconds, bytes[0] & 0x80 != 0)
        }
    }

    /// Writes the time (24-hour mode) and clears the chip's stop flag.
    func write(unixSeconds: Int64) -> Bool {
        let fields = Calendar.fields(unixSeconds: unixSeconds)
        switch self {
        case .ds3231, .ds1307:
            // Seconds with bit 7 clear also starts a halted DS1307.
            let registers: [UInt8] = [
                bcd(fields.second), bcd(fields.minute), bcd(fields.hour), UInt8(fields.weekday), bcd(fields.day),
                (self == .ds3231 && fields.year >= 2100 ? 0x80 : 0) | bcd(fields.month), bcd(fields.year % 100),
            ]
            guard Host.writeRegisters(device: RTCService.rtc, at: 0x00, registers).isOK else { return false }
            guard self == .ds3231 else { return true }
            guard let status = Host.readRegisters(device: RTCService.rtc, from: DS3231.status, count: 1).value else { return false }
            return Host.writeRegisters(device: RTCService.rtc, at: DS3231.status, [status[0] & ~DS3231.oscillatorStopped]).isOK
        case .pcf8523:
            let registers: [UInt8] = [
                bcd(fields.second), bcd(fields.minute), bcd(fields.hour), bcd(fields.day), UInt8(fields.weekday - 1),
                bcd(fields.month), bcd(fields.year % 100),
            ]
            // 24-hour mode, running; and battery switch-over on, which the chip has off
            // after power-up, so the time survives the next power cut.
            return Host.writeRegisters(device: RTCService.rtc, at: PCF8523.control1, [0x00]).isOK
                && Host.writeRegisters(device: RTCService.rtc, at: PCF8523.control3, [0x00]).isOK
                && Host.writeRegisters(device: RTCService.rtc, at: PCF8523.seconds, registers).isOK
        }
    }

    /// The DS3231's die temperature; nil on the other chips or on a bus error.
    func temperature() -> Double? {
        guard self == .ds3231, let bytes = Host.readRegisters(device: RTCService.rtc, from: DS3231.temperature, count: 2).value else {
            return nil
        }
        // Ten-bit two's complement in quarter degrees: MSB integer, LSB bits 7–6.
        return Double(Int(Int8(bitPattern: bytes[0])) * 4 + Int(bytes[1] >> 6)) / 4
    }

    /// The Maxim hour register: bit 6 selects 12-hour mode, bit 5 is PM there.
    func maximHour(_ byte: UInt8) -> Int {
        guard byte & 0x40 != 0 else { return unbcd(byte & 0x3F) }
        return unbcd(byte & 0x1F) % 12 + (byte & 0x20 != 0 ? 12 : 0)
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
