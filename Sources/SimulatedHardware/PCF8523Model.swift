/// NXP PCF8523 real-time clock, at register level (data sheet Rev. 7).
///
/// 0x00–0x02 control, 0x03–0x09 time (OS flag in bit 7 of seconds; weekday 0–6 after
/// the date), 0x0A–0x0D alarms (stored), 0x0E offset, 0x0F–0x13 timers (stored); the
/// pointer wraps from 0x13 to 0x00. 12/24-hour mode is bit 3 of Control_1, STOP is bit 5.
/// The power-on Control_3 value 0xE0 disables battery switch-over: a board that never
/// configures it loses the time on a power cut even with a coin cell fitted.
public final class PCF8523Model: RealTimeClockModel {
    public enum Register: UInt8 {
        case control1 = 0x00, control2, control3
        case seconds = 0x03, minutes, hours, days, weekdays, months, years
        case minuteAlarm = 0x0A, hourAlarm, dayAlarm, weekdayAlarm
        case offset = 0x0E, timerClockOut, timerAFrequency, timerA, timerBFrequency, timerB
    }

    public enum Control1Bit {
        public static let stop: UInt8 = 0x20
        public static let twelveHour: UInt8 = 0x08
    }

    /// Writing this to Control_1 performs a software reset.
    public static let softwareResetCommand: UInt8 = 0x58
    public static let oscillatorStopped: UInt8 = 0x80
    /// Control_3 PM[2:0] = 111: battery switch-over disabled (the power-on value).
    public static let switchOverDisabled: UInt8 = 0xE0
    /// Offset register resolution in mode 0 (every two hours) and mode 1 (every minute).
    public static let offsetPPMPerLSB: (mode0: Double, mode1: Double) = (4.34, 4.069)

    public let modelName = "pcf8523"
    private var counter: RTCCounter
    private var pointer = RegisterPointer(last: Register.timerB.rawValue)
    private var registers = [UInt8](repeating: 0, count: 0x14)
    private var oscillatorStopFlag: Bool
    private var crystalDriftPPM: Double

    public init(unixSeconds: Int64, at clock: UInt64, driftPPM: Double = 0, lostPower: Bool = false) {
        counter = RTCCounter(
            chipSeconds: chipSeconds(fromUnixSeconds: unixSeconds), weekday: 0, at: clock, centuries: 1, weekdays: 0...6)
        crystalDriftPPM = driftPPM
        oscillatorStopFlag = lostPower
        resetControlRegisters()
        let fields = counter.fields(at: clock)
        counter.set(fields, weekday: PCF8523Model.weekday(of: fields), resetDivider: false, at: clock)
        applyRate(at: clock)
    }

    /// Weekday 0–6 counting 2000-01-01 (a Saturday) as 6, the chip's reset value.
    static func weekday(of fields: RTCFields) -> Int {
        Int((RTCCalendar.dayNumber(RTCCalendar.seconds(from: fields)) + 6) % 7)
    }

    private func resetControlRegisters() {
        registers = [UInt8](repeating: 0, count: 0x14)
        registers[Int(Register.control3.rawValue)] = PCF8523Model.switchOverDisabled
        for alarm in Register.minuteAlarm.rawValue...Register.weekdayAlarm.rawValue {
            registers[Int(alarm)] = 0x80
        }
        registers[Int(Register.timerAFrequency.rawValue)] = 0x07
        registers[Int(Register.timerBFrequency.rawValue)] = 0x07
    }

    public func time(at clock: UInt64) -> RTCFields { counter.fields(at: clock) }

    public func hasLostTime(at clock: UInt64) -> Bool { oscillatorStopFlag }

    public func losePower(batteryBacked: Bool, forNanoseconds nanoseconds: UInt64, at clock: UInt64) {
        // PM[2:0] 000/001/100/101 switch to the battery; 010, 011 and 111 never do (110 is not allowed).
        let mode = registers[Int(Register.control3.rawValue)] >> 5
        let switchOver = [0b000, 0b001, 0b100, 0b101].contains(mode)
        guard !(batteryBacked && switchOver) else { return }
        counter = RTCCounter(chipSeconds: 0, weekday: 6, at: clock, centuries: 1, weekdays: 0...6)
        oscillatorStopFlag = true
        resetControlRegisters()
        applyRate(at: clock)
    }

    public func setCrystalDrift(ppm: Double, at clock: UInt64) {
        crystalDriftPPM = ppm
        applyRate(at: clock)
    }

    private func applyRate(at clock: UInt64) {
        let offset = registers[Int(Register.offset.rawValue)]
        // Seven-bit two's complement in bits 6–0; bit 7 selects the correction mode.
        let steps = Int(Int8(bitPattern: offset << 1) >> 1)
        let perLSB = offset & 0x80 == 0 ? PCF8523Model.offsetPPMPerLSB.mode0 : PCF8523Model.offsetPPMPerLSB.mode1
        counter.timekeeper.setRate(ppm: crystalDriftPPM + Double(steps) * perLSB, at: clock)
        let stopped = registers[Int(Register.control1.rawValue)] & Control1Bit.stop != 0
        counter.timekeeper.setRunning(!stopped, at: clock)
    }

    public func receive(_ bytes: [UInt8], at clock: UInt64) {
        guard let first = bytes.first else { return }
        pointer.value = first
        var edit = TimeEdit(counter, at: clock)
        for byte in bytes.dropFirst() {
            let register = Register(rawValue: pointer.value)
            switch register {
            case .control1 where byte == PCF8523Model.softwareResetCommand:
                resetControlRegisters()
                counter.twelveHour = false
                oscillatorStopFlag = true
                applyRate(at: clock)
            case .control1:
                let wasStopped = registers[0] & Control1Bit.stop != 0
                registers[0] = byte
                counter.twelveHour = byte & Control1Bit.twelveHour != 0
                applyRate(at: clock)
                if wasStopped, byte & Control1Bit.stop == 0 {
                    // Releasing STOP restarts the prescaler from zero.
                    let now = counter.timekeeper.chipSeconds(at: clock)
                    counter.timekeeper.set(chipNanoseconds: now * 1_000_000_000, at: clock)
                }
            case .seconds:
                edit.fields.second = BCD.decode(byte & 0x7F)
                oscillatorStopFlag = byte & PCF8523Model.oscillatorStopped != 0
                edit.secondsWritten = true
            case .minutes: edit.fields.minute = BCD.decode(byte & 0x7F)
            case .hours:
                if counter.twelveHour {
                    edit.fields.hour = BCD.decode(byte & 0x1F) % 12 + (byte & 0x20 != 0 ? 12 : 0)
                } else {
                    edit.fields.hour = BCD.decode(byte & 0x3F)
                }
            case .days: edit.fields.date = BCD.decode(byte & 0x3F)
            case .weekdays: edit.weekday = Int(byte & 0x07)
            case .months: edit.fields.month = BCD.decode(byte & 0x1F)
            case .years: edit.fields.year = BCD.decode(byte)
            case .offset:
                registers[Int(pointer.value)] = byte
                applyRate(at: clock)
            case .some(let other):
                registers[Int(other.rawValue)] = byte
            case nil:
                break
            }
            if let register, (Register.seconds.rawValue...Register.years.rawValue).contains(register.rawValue) {
                edit.touched = true
            }
            pointer.advance()
        }
        edit.commit(to: &counter, at: clock)
    }

    public func transmit(count: Int, at clock: UInt64) -> [UInt8] {
        let fields = counter.fields(at: clock)
        let weekday = counter.weekday(at: clock)
        var output: [UInt8] = []
        output.reserveCapacity(count)
        for _ in 0..<count {
            let byte: UInt8
            switch Register(rawValue: pointer.value) {
            case .seconds: byte = (oscillatorStopFlag ? PCF8523Model.oscillatorStopped : 0) | BCD.encode(fields.second)
            case .minutes: byte = BCD.encode(fields.minute)
            case .hours:
                if counter.twelveHour {
                    let twelve = fields.hour % 12 == 0 ? 12 : fields.hour % 12
                    byte = (fields.hour >= 12 ? 0x20 : 0) | BCD.encode(twelve)
                } else {
                    byte = BCD.encode(fields.hour)
                }
            case .days: byte = BCD.encode(fields.date)
            case .weekdays: byte = UInt8(weekday)
            case .months: byte = BCD.encode(fields.month)
            case .years: byte = BCD.encode(fields.year)
            case .some(let other): byte = registers[Int(other.rawValue)]
            case nil: byte = 0xFF
            }
            output.append(byte)
            pointer.advance()
        }
        return output
    }
}
