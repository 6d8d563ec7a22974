/// Maxim DS1307 64×8 serial RTC, at register level (datasheet 19-6151).
///
/// 0x00–0x06 time in BCD, the clock-halt bit (CH) in bit 7 of the seconds register,
/// 0x07 control, 0x08–0x3F 56 bytes of battery-backed NVRAM; the pointer wraps from
/// 0x3F to 0x00. On first power-up CH is set: the clock does not run until it is cleared.
public final class DS1307Model: RealTimeClockModel {
    public enum Register: UInt8 {
        case seconds = 0x00, minutes, hours, day, date, month, year, control
    }

    public static let clockHalt: UInt8 = 0x80
    public static let powerOnControl: UInt8 = 0x03
    public static let nvramRange: ClosedRange<UInt8> = 0x08...0x3F

    public let modelName = "ds1307"
    private var counter: RTCCounter
    private var pointer = RegisterPointer(last: 0x3F)
    private var control = DS1307Model.powerOnControl
    private var nvram = [UInt8](repeating: 0, count: 56)
    private var crystalDriftPPM: Double

    /// `halted` is the first-power-up state: CH set, clock stopped.
    public init(unixSeconds: Int64, at clock: UInt64, driftPPM: Double = 0, halted: Bool = false) {
        counter = RTCCounter(
            chipSeconds: chipSeconds(fromUnixSeconds: unixSeconds), weekday: 1, at: clock, centuries: 1, weekdays: 1...7)
        crystalDriftPPM = driftPPM
        counter.timekeeper.setRate(ppm: driftPPM, at: clock)
        counter.timekeeper.setRunning(!halted, at: clock)
    }

    public func time(at clock: UInt64) -> RTCFields { counter.fields(at: clock) }

    public var isHalted: Bool { !counter.timekeeper.isRunning }

    public func hasLostTime(at clock: UInt64) -> Bool { isHalted }

    public func losePower(batteryBacked: Bool, forNanoseconds nanoseconds: UInt64, at clock: UInt64) {
        guard !batteryBacked else { return }
        counter = RTCCounter(chipSeconds: 0, weekday: 1, at: clock, centuries: 1, weekdays: 1...7)
        counter.timekeeper.setRate(ppm: crystalDriftPPM, at: clock)
        counter.timekeeper.setRunning(false, at: clock)
        control = DS1307Model.powerOnControl
        nvram = [UInt8](repeating: 0, count: 56)
    }

    public func setCrystalDrift(ppm: Double, at clock: UInt64) {
        crystalDriftPPM = ppm
        counter.timekeeper.setRate(ppm: ppm, at: clock)
    }

    public func receive(_ bytes: [UInt8], at clock: UInt64) {
        guard let first = bytes.first else { return }
        // The DS1307 decodes six address bits: 0x40 and above alias 0x00–0x3F.
        pointer.value = first & 0x3F
        var edit = TimeEdit(counter, at: clock)
        var halt: Bool?
        for byte in bytes.dropFirst() {
            switch Register(rawValue: pointer.value) {
            case .seconds:
                edit.fields.second = BCD.decode(byte & 0x7F)
                halt = byte & DS1307Model.clockHalt != 0
                edit.secondsWritten = true
            case .minutes: edit.fields.minute = BCD.decode(byte & 0x7F)
            case .hours: edit.fields.hour = counter.decodeMaximHour(byte)
            case .day: edit.weekday = Int(byte & 0x07)
            case .date: edit.fields.date = BCD.decode(byte & 0x3F)
            case .month: edit.fields.month = BCD.decode(byte & 0x1F)
            case .year: edit.fields.year = BCD.decode(byte)
            case .control: control = byte & 0x93
            case nil: nvram[Int(pointer.value - DS1307Model.nvramRange.lowerBound)] = byte
            }
            if pointer.value <= Register.year.rawValue { edit.touched = true }
            pointer.advance()
        }
        edit.commit(to: &counter, at: clock)
        if let halt {
            counter.timekeeper.setRunning(!halt, at: clock)
        }
    }

    public func transmit(count: Int, at clock: UInt64) -> [UInt8] {
        let fields = counter.fields(at: clock)
        let weekday = counter.weekday(at: clock)
        var output: [UInt8] = []
        output.reserveCapacity(count)
        for _ in 0..<count {
            let byte: UInt8
            switch Register(rawValue: pointer.value) {
            case .seconds: byte = (isHalted ? DS1307Model.clockHalt : 0) | BCD.encode(fields.second)
            case .minutes: byte = BCD.encode(fields.minute)
            case .hours: byte = counter.encodeMaximHour(fields.hour)
            case .day: byte = UInt8(weekday)
            case .date: byte = BCD.encode(fields.date)
            case .month: byte = BCD.encode(fields.month)
            case .year: byte = BCD.encode(fields.year)
            case .control: byte = control
            case nil: byte = nvram[Int(pointer.value - DS1307Model.nvramRange.lowerBound)]
            }
            output.append(byte)
            pointer.advance()
        }
        return output
    }
}
