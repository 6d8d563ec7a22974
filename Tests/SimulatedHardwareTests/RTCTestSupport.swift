import SimulatedHardware

/// Register-level helpers: what a driver does over the bus, done directly on a model.
extension I2CDeviceModel {
    func read(_ register: UInt8, count: Int, at clock: UInt64) -> [UInt8] {
        receive([register], at: clock)
        return transmit(count: count, at: clock)
    }

    func write(_ register: UInt8, _ bytes: [UInt8], at clock: UInt64) {
        receive([register] + bytes, at: clock)
    }
}

let second: UInt64 = 1_000_000_000

/// Unix seconds of a UTC date (2000–2099), for seeding models.
func unix(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
    RTCCalendar.seconds(
        from: RTCFields(second: second, minute: minute, hour: hour, date: day, month: month, year: year - 2000))
        + RTCCalendar.unixTimeOf2000
}
