import Hardware

/// A whole simulated board: buses with device models, GPIO chips with driven lines, and
/// the controls a person at the bench has — press a button, change a pulse rate, pull
/// a wire, cut the power. Everything runs on one clock; under a `ManualClock` the board
/// is fully deterministic.
public final class SimulatedBoard: HardwareBackend, @unchecked Sendable {
    public let kind = "simulated"
    public let name: String
    public var clock: any SimulationClock { core.clock }
    private let core: SimulatorCore
    private let buses: [SimulatedI2CBus]
    private let chips: [SimulatedGPIOChip]
    private let buttons: [String: SimulatedBoardSpec.Button]

    public init(_ spec: SimulatedBoardSpec, clock: any SimulationClock = SystemClock()) {
        let core = SimulatorCore(clock: clock)
        self.core = core
        name = spec.name
        let now = clock.nowNanoseconds
        let wallSeconds = clock.wallNanoseconds / 1_000_000_000
        buses = spec.buses.map { busSpec in
            let bus = SimulatedI2CBus(number: busSpec.number, core: core)
            for device in busSpec.devices {
                bus.attach(SimulatedBoard.makeModel(device.model, now: now, wallSeconds: wallSeconds), at: device.address)
            }
            return bus
        }
        var buttons: [String: SimulatedBoardSpec.Button] = [:]
        chips = spec.chips.map { chipSpec in
            let chip = SimulatedGPIOChip(
                info: GPIOChipInfo(name: chipSpec.name, label: chipSpec.label, lineCount: chipSpec.lineCount), core: core)
            for line in chipSpec.lines {
                var activeLow = true
                if case .button(let button) = line.drive {
                    buttons["\(chipSpec.name):\(line.offset)"] = button
                    activeLow = button.activeLow
                }
                chip.configure(
                    offset: line.offset, name: line.name, waveform: SimulatedBoard.waveform(for: line.drive, start: now),
                    wiredFrom: line.wiredFrom, activeLowButton: activeLow)
            }
            return chip
        }
        self.buttons = buttons
    }

    static func makeModel(_ model: SimulatedBoardSpec.Model, now: UInt64, wallSeconds: Int64) -> any I2CDeviceModel {
        func seconds(_ rtc: SimulatedBoardSpec.RTC) -> Int64 {
            switch rtc.time {
            case .system: return wallSeconds
            case .unixSeconds(let value): return value
            }
        }
        switch model {
        case .ds3231(let rtc, let temperature):
            return DS3231Model(
                unixSeconds: seconds(rtc), at: now, driftPPM: rtc.driftPPM, temperature: temperature,
                lostPower: rtc.lostPower)
        case .ds1307(let rtc):
            return DS1307Model(unixSeconds: seconds(rtc), at: now, driftPPM: rtc.driftPPM, halted: rtc.lostPower)
        case .pcf8523(let rtc):
            return PCF8523Model(unixSeconds: seconds(rtc), at: now, driftPPM: rtc.driftPPM, lostPower: rtc.lostPower)
        case .registerFile(let bytes):
            return RegisterFileModel(registers: bytes)
        }
    }

    static func waveform(for drive: SimulatedBoardSpec.Drive?, start: UInt64) -> Waveform {
        switch drive {
        case nil: return .floating
        case .level(let level): return .constant(level)
        case .pulses(let hertz): return .pulses(hertz: hertz, start: start)
        case .button(let button):
            let idle = button.activeLow
            guard button.everyMilliseconds > 0 else { return .constant(idle) }
            let steps = Waveform.pressSteps(
                holdNanoseconds: UInt64(button.holdMilliseconds) * 1_000_000, bounces: button.bounces,
                bounceIntervalNanoseconds: UInt64(button.bounceMicroseconds) * 1_000, pressedLevel: !idle)
            let period = UInt64(button.everyMilliseconds) * 1_000_000
            // The first press comes one period after start, not at once.
            return .periodic(.init(start: start + period, period: period, idle: idle, steps: steps))
        }
    }

    // MARK: HardwareBackend

    public func i2cBusNumbers() -> [Int] { buses.map(\.number) }

    public func i2cBus(_ number: Int) throws(HardwareError) -> any I2CBus {
        try simulatedBus(number)
    }

    private func simulatedBus(_ number: Int) throws(HardwareError) -> SimulatedI2CBus {
        guard let bus = buses.first(where: { $0.number == number }) else {
            throw HardwareError(.noDevice, .i2cBus(number), "the \(name) board has \(busList)")
        }
        return bus
    }

    private var busList: String {
        buses.isEmpty ? "no I2C buses" : "buses " + buses.map { "i2c-\($0.number)" }.joined(separator: ", ")
    }

    public func gpioChipNames() -> [String] { chips.map(\.info.name) }

    public func gpioChip(_ lookup: String) throws(HardwareError) -> any GPIOChip {
        try simulatedChip(lookup)
    }

    private func simulatedChip(_ lookup: String) throws(HardwareError) -> SimulatedGPIOChip {
        let bare = lookup.hasPrefix("/dev/") ? String(lookup.dropFirst(5)) : lookup
        let found =
            chips.first { $0.info.name == bare || $0.info.label == bare }
            ?? Int(bare).flatMap { number in chips.first { $0.info.name == "gpiochip\(number)" } }
        guard let found else {
            throw HardwareError(
                .noDevice, .gpioChip(lookup), "the \(name) board has \(chips.map(\.info.name).joined(separator: ", "))")
        }
        if core.lock.withLock({ core.faults.contains(.gpioChipRemoved(chip: found.info.name)) }) {
            throw HardwareError(.noDevice, .gpioChip(found.info.name), "chip removed")
        }
        return found
    }

    // MARK: Bench controls

    /// Presses the button on a line: contact bounce, held for `holdMilliseconds`, released.
    /// Defaults come from the board file's button, or an active-low button if none.
    public func pressButton(
        chip chipName: String, line: GPIOLineSelector, holdMilliseconds: Int? = nil, bounces: Int? = nil
    ) throws(HardwareError) {
        let chip = try simulatedChip(chipName)
        let offset = try chip.resolve(line)
        let button = buttons["\(chip.info.name):\(offset)"] ?? SimulatedBoardSpec.Button()
        guard (1...60_000).contains(holdMilliseconds ?? 1), (0...100).contains(bounces ?? 0) else {
            throw HardwareError(
                .invalidArgument, .gpioLine(chip: chip.info.name, offset: offset, name: nil),
                "hold must be 1-60000 ms and bounces 0-100")
        }
        core.lock.withLock {
            let now = core.clock.nowNanoseconds
            var base = chip.waveform(of: offset)
            if case .script(_, _, let previous) = base { base = previous }
            let steps = Waveform.pressSteps(
                holdNanoseconds: UInt64(holdMilliseconds ?? button.holdMilliseconds) * 1_000_000,
                bounces: bounces ?? button.bounces,
                bounceIntervalNanoseconds: UInt64(button.bounceMicroseconds) * 1_000,
                pressedLevel: !chip.isActiveLowButton(offset))
            if base == .floating { base = .constant(chip.isActiveLowButton(offset)) }
            chip.setWaveform(.script(start: now, steps: steps, base: base), of: offset)
        }
    }

    /// Drives a line to a fixed level (or lets it float with nil) from now on.
    public func drive(chip chipName: String, line: GPIOLineSelector, to level: Bool?) throws(HardwareError) {
        let chip = try simulatedChip(chipName)
        let offset = try chip.resolve(line)
        core.lock.withLock { chip.setWaveform(level.map { .constant($0) } ?? .floating, of: offset) }
    }

    /// Sets a pulse train's frequency (0 stops it, low).
    public func setPulseRate(chip chipName: String, line: GPIOLineSelector, hertz: Double) throws(HardwareError) {
        let chip = try simulatedChip(chipName)
        let offset = try chip.resolve(line)
        guard hertz == 0 || Waveform.pulseRates.contains(hertz) else {
            throw HardwareError(
                .invalidArgument, .gpioLine(chip: chip.info.name, offset: offset, name: nil),
                "pulse rate \(hertz) Hz is outside 0.001-100000 (or 0 to stop)")
        }
        core.lock.withLock {
            chip.setWaveform(.pulses(hertz: hertz, start: core.clock.nowNanoseconds), of: offset)
        }
    }

    /// Rising edges a line has produced so far (see `SimulatedGPIOChip.risingEdgeCount`).
    public func risingEdgeCount(chip chipName: String, line: GPIOLineSelector) throws(HardwareError) -> Int {
        let chip = try simulatedChip(chipName)
        let offset = try chip.resolve(line)
        return core.lock.withLock { chip.risingEdgeCount(offset) }
    }

    /// Switches a fault on. Checks that the bus, device, chip or line exists.
    public func inject(_ fault: SimulatedFault) throws(HardwareError) {
        try checkTarget(of: fault)
        core.lock.withLock {
            core.faults.insert(fault)
            for chip in chips { chip.settle() }
        }
    }

    /// Switches a fault off; clearing one that is not active is not an error.
    public func clear(_ fault: SimulatedFault) {
        core.lock.withLock {
            core.faults.remove(fault)
            for chip in chips { chip.settle() }
        }
    }

    public func clearAllFaults() {
        core.lock.withLock {
            core.faults.removeAll()
            for chip in chips { chip.settle() }
        }
    }

    public var activeFaults: [SimulatedFault] {
        core.lock.withLock { core.faults.sorted { $0.description < $1.description } }
    }

    private func checkTarget(of fault: SimulatedFault) throws(HardwareError) {
        switch fault {
        case .i2cNack(let bus, let address), .i2cDeviceRemoved(let bus, let address):
            let found = try simulatedBus(bus)
            guard core.lock.withLock({ found.model(at: address) }) != nil else {
                throw HardwareError(.noDevice, .i2cDevice(bus: bus, address: address), "no simulated device there")
            }
        case .i2cBusTimeout(let bus):
            _ = try i2cBus(bus)
        case .gpioStuckLine(let chip, let offset, _):
            try simulatedChip(chip).checkOffset(offset)
        case .gpioChipRemoved(let chip):
            _ = try simulatedChip(chip)
        }
    }

    /// Runs `body` on the RTC model at `address`, lock held, with the current time.
    public func withRTC<Result>(
        bus: Int, address: UInt16, _ body: (any RealTimeClockModel, UInt64) -> Result
    ) throws(HardwareError) -> Result {
        let found = try simulatedBus(bus)
        return try core.lock.withLock { () throws(HardwareError) -> Result in
            guard let rtc = found.model(at: address) as? any RealTimeClockModel else {
                throw HardwareError(.noDevice, .i2cDevice(bus: bus, address: address), "no simulated RTC there")
            }
            return body(rtc, core.clock.nowNanoseconds)
        }
    }

    /// The model name at each attached address of a bus, for `sim` status output.
    public func attachedDevices(bus: Int) -> [(address: UInt16, model: String)] {
        guard let found = buses.first(where: { $0.number == bus }) else { return [] }
        return core.lock.withLock {
            found.attachedAddresses().compactMap { address in
                found.model(at: address).map { (address, $0.modelName) }
            }
        }
    }

    /// Moves a virtual clock forward and lets waiters see the new time.
    public func advanceClock(byNanoseconds delta: UInt64) {
        core.lock.withLock {
            core.clock.advance(byNanoseconds: delta)
            for chip in chips { chip.settle() }
        }
    }
}
