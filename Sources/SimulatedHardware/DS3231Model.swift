/// Maxim DS3231 extremely accurate RTC with TCXO, at register level (datasheet 19-5170).
///
/// Registers 0x00–0x12: time in BCD (seconds … year, century bit in the month register),
/// two alarms (stored), control (0x0E, EOSC), status (0x0F, OSF), aging offset (0x10)
/// and temperature (0x11–0x12, 0.25 °C steps). Reads are buffered at the start of each
/// transaction, as the chip's user buffers are, so a block read never tears.
public final class DS3231Model: RealTimeClockModel {
    public enum Register: UInt8 {
        case seconds = 0x00, minutes, hours, day, date, monthCentury, year
        case alarm1Seconds = 0x07, alarm1Minutes, alarm1Hours, alarm1Day
        case alarm2Minutes = 0x0B, alarm2Hours, alarm2Day
        case control = 0x0E, status, agingOffset, temperatureMSB, temperatureLSB
    }

    public enum ControlBit {
        /// EOSC (active low): set, the oscillator stops when running from the battery.
        public static let disableOscillatorOnBattery: UInt8 = 0x80
    }

    public enum StatusBit {
        /// OSF: the oscillator stopped at some point; the time is not to be trusted.
        public static let oscillatorStopped: UInt8 = 0x80
        public static let enable32kHz: UInt8 = 0x08
        public static let busy: UInt8 = 0x04
        public static let alarm2: UInt8 = 0x02
        public static let alarm1: UInt8 = 0x01
    }

    public static let powerOnControl: UInt8 = 0x1C
    public static let powerOnStatus: UInt8 = StatusBit.oscillatorStopped | StatusBit.enable32kHz
    /// Aging offset sensitivity at 25 °C (datasheet: "typically 0.1 ppm per LSB").
    public static let agingPPMPerLSB = 0.1

    public let modelName = "ds3231"
    private var counter: RTCCounter
    private var pointer = RegisterPointer(last: Register.temperatureLSB.rawValue)
    private var alarms = [UInt8](repeating: 0, count: 7)
    private var control = DS3231Model.powerOnControl
    private var status = DS3231Model.powerOnStatus
    private var aging: Int8 = 0
    private var crystalDriftPPM: Double
    /// Die temperature in °C, what the TCXO measures.
    public var temperature: Double

    /// A chip holding `unixSeconds`; `lostPower` leaves OSF set as after a first power-up.
    public init(unixSeconds: Int64, at clock: UInt64, driftPPM: Double = 0, temperature: Double = 25, lostPower: Bool = false) {
        counter = RTCCounter(
            chipSeconds: chipSeconds(fromUnixSeconds: unixSeconds), weekday: 1, at: clock, centuries: 2, weekdays: 1...7)
        crystalDriftPPM = driftPPM
        self.temperature = temperature
        if !lostPower { status &= ~StatusBit.oscillatorStopped }
        applyRate(at: clock)
    }

    public func time(at clock: UInt64) -> RTCFields { counter.fields(at: clock) }

    public func hasLostTime(at clock: UInt64) -> Bool { status & StatusBit.oscillatorStopped != 0 }

    public var agingOffset: Int8 { aging }

    public func losePower(batteryBacked: Bool, forNanoseconds nanoseconds: UInt64, at clock: UInt64) {
        if !batteryBacked {
            // Both supplies gone: every register returns to its power-on value.
            counter = RTCCounter(chipSeconds: 0, weekday: 1, at: clock, centuries: 2, weekdays: 1...7)
            alarms = [UInt8](repeating: 0, count: 7)
            control = DS3231Model.powerOnControl
            status = DS3231Model.powerOnStatus
            aging = 0
            applyRate(at: clock)
        } else if control & ControlBit.disableOscillatorOnBattery != 0 {
            counter.timekeeper.skip(nanoseconds: nanoseconds, at: clock)
            status |= StatusBit.oscillatorStopped
        }
    }

    public func setCrystalDrift(ppm: Double, at clock: UInt64) {
        crystalDriftPPM = ppm
        applyRate(at: clock)
    }

    private func applyRate(at clock: UInt64) {
        // A positive aging value adds load capacitance and slows the oscillator.
        counter.timekeeper.setRate(ppm: crystalDriftPPM - DS3231Model.agingPPMPerLSB * Double(aging), at: clock)
    }

    public func receive(_ bytes: [UInt8], at clock: UInt64) {
        guard let first = bytes.first else { return }
        pointer.value = first
        var edit = TimeEdit(counter, at: clock)
        for byte in bytes.dropFirst() {
            switch Register(rawValue: pointer.value) {
            case .seconds:
                edit.fields.second = BCD.decode(byte & 0x7F)
                edit.secondsWritten = true
            case .minutes: edit.fields.minute = BCD.decode(byte & 0x7F)
            case .hours: edit.fields.hour = counter.decodeMaximHour(byte)
            case .day: edit.weekday = Int(byte & 0x07)
            case .date: edit.fields.date = BCD.decode(byte & 0x3F)
            case .monthCentury:
                edit.fields.month = BCD.decode(byte & 0x1F)
                edit.fields.century = Int(byte >> 7)
            case .year: edit.fields.year = BCD.decode(byte)
            case .alarm1Seconds, .alarm1Minutes, .alarm1Hours, .alarm1Day, .alarm2Minutes, .alarm2Hours, .alarm2Day:
                alarms[Int(pointer.value - Register.alarm1Seconds.rawValue)] = byte
            case .control:
                control = byte
            case .status:
                // OSF, A2F and A1F can only be cleared by writing 0; BSY is read-only.
                let clearable = StatusBit.oscillatorStopped | StatusBit.alarm2 | StatusBit.alarm1
                status = (status & (byte | ~clearable) & ~StatusBit.enable32kHz) | (byte & StatusBit.enable32kHz)
                status &= ~StatusBit.busy
            case .agingOffset:
                aging = Int8(bitPattern: byte)
                applyRate(at: clock)
            case .temperatureMSB, .temperatureLSB, nil:
                break
            }
            if pointer.value <= Register.year.rawValue { edit.touched = true }
            pointer.advance()
        }
        edit.commit(to: &counter, at: clock)
    }

    public func transmit(count: Int, at clock: UInt64) -> [UInt8] {
        let fields = counter.fields(at: clock)
        let weekday = counter.weekday(at: clock)
        let quarterDegrees = Int((temperature * 4).rounded())
        var output: [UInt8] = []
        output.reserveCapacity(count)
        for _ in 0..<count {
            let byte: UInt8
            switch Register(rawValue: pointer.value) {
            case .seconds: byte = BCD.encode(fields.second)
            case .minutes: byte = BCD.encode(fields.minute)
            case .hours: byte = counter.encodeMaximHour(fields.hour)
            case .day: byte = UInt8(weekday)
            case .date: byte = BCD.encode(fields.date)
            case .monthCentury: byte = UInt8(fields.century << 7) | BCD.encode(fields.month)
            case .year: byte = BCD.encode(fields.year)
            case .alarm1Seconds, .alarm1Minutes, .alarm1Hours, .alarm1Day, .alarm2Minutes, .alarm2Hours, .alarm2Day:
                byte = alarms[Int(pointer.value - Register.alarm1Seconds.rawValue)]
            case .control: byte = control
            case .status: byte = status
            case .agingOffset: byte = UInt8(bitPattern: aging)
            case .temperatureMSB: byte = UInt8(bitPattern: Int8(clamping: quarterDegrees >> 2))
            case .temperatureLSB: byte = UInt8((quarterDegrees & 0x3) << 6)
            case nil: byte = 0xFF
            }
            output.append(byte)
            pointer.advance()
        }
        return output
    }
}
