import Hardware

/// A simulated GPIO chip: lines driven by waveforms (buttons, pulse trains), by the
/// chip's own outputs through wires, or by the console; edge events produced exactly at
/// the waveform's transition times and queued per request, as the kernel queues them.
public final class SimulatedGPIOChip: GPIOChip, @unchecked Sendable {
    /// Events kept per request before the oldest are dropped (the kernel keeps 16 in v1;
    /// more here so a slow test reader does not lose a burst of bounces).
    public static let eventQueueCapacity = 1024
    /// The longest single wait for edges: 24 hours.
    public static let longestWait: UInt64 = 86_400 * 1_000_000_000

    struct Request {
        var id: UInt64
        var consumer: String
        var direction: GPIODirection
        var edges: GPIOEdgeDetection
        var bias: GPIOBias
        var outputValue: Bool
        var events: [GPIOEdgeEvent] = []
        var dropped = 0
    }

    struct Line {
        var name: String?
        var waveform: Waveform = .floating
        /// An output on this chip whose level this input follows (a jumper wire).
        var wiredFrom: Int?
        /// Whether a button press on this line pulls it low (the usual pull-up wiring).
        var activeLowButton = true
        var request: Request?
        /// The level as of `advancedTo`.
        var level = false
    }

    public let info: GPIOChipInfo
    private let core: SimulatorCore
    /// Guarded by the board lock, as is everything below.
    private var lines: [Line]
    private var advancedTo: UInt64
    private var nextRequestID: UInt64 = 1
    /// Rising edges seen on each line since the board started, watched or not while it is
    /// requested with edge detection: the ground truth that "no pulse was lost" is checked against.
    private var risingEdges: [Int]

    init(info: GPIOChipInfo, core: SimulatorCore) {
        self.info = info
        self.core = core
        lines = Array(repeating: Line(), count: info.lineCount)
        risingEdges = Array(repeating: 0, count: info.lineCount)
        advancedTo = core.clock.nowNanoseconds
    }

    // MARK: Board set-up and control (lock held by the caller)

    func configure(offset: Int, name: String?, waveform: Waveform, wiredFrom: Int?, activeLowButton: Bool) {
        lines[offset].name = name
        lines[offset].waveform = waveform
        lines[offset].wiredFrom = wiredFrom
        lines[offset].activeLowButton = activeLowButton
        lines[offset].level = level(of: offset, at: advancedTo)
    }

    func waveform(of offset: Int) -> Waveform { lines[offset].waveform }

    /// Rising edges on `offset` so far (lock held). Exact while the line is requested with
    /// edge detection; otherwise only level changes that were looked at are counted.
    func risingEdgeCount(_ offset: Int) -> Int {
        advance(to: core.clock.nowNanoseconds)
        return risingEdges[offset]
    }

    func isActiveLowButton(_ offset: Int) -> Bool { lines[offset].activeLowButton }

    /// Replaces what drives a line from `now` on; an edge at `now` if the level changes.
    func setWaveform(_ waveform: Waveform, of offset: Int) {
        advance(to: core.clock.nowNanoseconds)
        lines[offset].waveform = waveform
        settle()
    }

    /// Re-evaluates every line at the current time and records the edges of immediate
    /// changes (writes, faults, wires, new waveforms). Lock held.
    func settle() {
        let now = max(core.clock.nowNanoseconds, advancedTo)
        advance(to: now)
        for offset in lines.indices {
            record(offset, level(of: offset, at: now), at: now)
        }
        core.lock.broadcast()
    }

    // MARK: Levels and edges (lock held)

    private var removed: Bool { core.faults.contains(.gpioChipRemoved(chip: info.name)) }

    private func stuckLevel(_ offset: Int) -> Bool? {
        if core.faults.contains(.gpioStuckLine(chip: info.name, offset: offset, level: true)) { return true }
        if core.faults.contains(.gpioStuckLine(chip: info.name, offset: offset, level: false)) { return false }
        return nil
    }

    /// Whether the line's level comes from its waveform (and so changes on its own).
    private func followsWaveform(_ offset: Int) -> Bool {
        if stuckLevel(offset) != nil { return false }
        if lines[offset].request?.direction == .output { return false }
        if let source = lines[offset].wiredFrom, lines[source].request?.direction == .output { return false }
        return true
    }

    private func level(of offset: Int, at time: UInt64) -> Bool {
        if let stuck = stuckLevel(offset) { return stuck }
        let line = lines[offset]
        if let request = line.request, request.direction == .output { return request.outputValue }
        if let source = line.wiredFrom, lines[source].request?.direction == .output {
            return level(of: source, at: time)
        }
        if let driven = line.waveform.level(at: time) { return driven }
        // Undriven: the bias decides; with none the pin floats and reads low.
        return line.request?.bias == .pullUp
    }

    private func record(_ offset: Int, _ newLevel: Bool, at time: UInt64) {
        guard newLevel != lines[offset].level else { return }
        lines[offset].level = newLevel
        if newLevel { risingEdges[offset] += 1 }
        guard var request = lines[offset].request, request.direction == .input else { return }
        let edge: GPIOEdge = newLevel ? .rising : .falling
        guard request.edges.reports(edge) else { return }
        if request.events.count >= SimulatedGPIOChip.eventQueueCapacity {
            request.events.removeFirst()
            request.dropped += 1
        }
        request.events.append(GPIOEdgeEvent(edge: edge, timestampNanoseconds: time, offset: offset))
        lines[offset].request = request
    }

    /// Produces the waveform edges of every line up to `time`.
    private func advance(to time: UInt64) {
        guard time > advancedTo else { return }
        for offset in lines.indices where followsWaveform(offset) {
            guard let edges = lines[offset].request?.edges, edges != .none else {
                // Nobody watches this line's edges: only its level matters.
                lines[offset].level = level(of: offset, at: time)
                continue
            }
            var cursor = advancedTo
            if case .periodic(let pattern) = lines[offset].waveform, lines[offset].request != nil,
                !pattern.steps.isEmpty
            {
                // A fast pulse train over a long gap: skip whole periods the queue could not hold.
                let keep = UInt64(SimulatedGPIOChip.eventQueueCapacity / pattern.steps.count + 1) * pattern.period
                if time - cursor > keep {
                    let skipped = (time - keep - cursor) / pattern.period
                    cursor += skipped * pattern.period
                    lines[offset].request?.dropped += Int(skipped) * pattern.steps.count
                    lines[offset].level = level(of: offset, at: cursor)
                }
            }
            var produced = 0
            while let next = lines[offset].waveform.nextTransition(after: cursor), next <= time {
                record(offset, level(of: offset, at: next), at: next)
                cursor = next
                produced += 1
                if produced > 4 * SimulatedGPIOChip.eventQueueCapacity {
                    lines[offset].request?.dropped += 1
                    lines[offset].level = level(of: offset, at: time)
                    break
                }
            }
        }
        advancedTo = time
    }

    private func nextTransition(of offset: Int, after time: UInt64) -> UInt64? {
        followsWaveform(offset) ? lines[offset].waveform.nextTransition(after: time) : nil
    }

    // MARK: GPIOChip

    private func lineResource(_ offset: Int) -> HardwareResource {
        .gpioLine(chip: info.name, offset: offset, name: lines[offset].name)
    }

    private func checkPresent() throws(HardwareError) {
        if removed { throw HardwareError(.noDevice, .gpioChip(info.name), "chip removed") }
    }

    public func lineInfo(_ offset: Int) throws(HardwareError) -> GPIOLineInfo {
        try checkOffset(offset)
        return try core.lock.withLock { () throws(HardwareError) -> GPIOLineInfo in
            try checkPresent()
            let line = lines[offset]
            return GPIOLineInfo(
                offset: offset, name: line.name, consumer: line.request?.consumer,
                direction: line.request?.direction ?? .input, bias: line.request?.bias ?? .asIs,
                isUsed: line.request != nil)
        }
    }

    public func offset(ofLineNamed name: String) throws(HardwareError) -> Int? {
        try core.lock.withLock { () throws(HardwareError) -> Int? in
            try checkPresent()
            return lines.firstIndex { $0.name == name }
        }
    }

    public func requestInput(
        _ offset: Int, consumer: String, edges: GPIOEdgeDetection, bias: GPIOBias
    ) throws(HardwareError) -> any GPIOLineRequest {
        try request(
            offset,
            Request(id: 0, consumer: consumer, direction: .input, edges: edges, bias: bias, outputValue: false))
    }

    public func requestOutput(_ offset: Int, consumer: String, initialValue: Bool) throws(HardwareError) -> any GPIOLineRequest {
        try request(
            offset,
            Request(id: 0, consumer: consumer, direction: .output, edges: .none, bias: .asIs, outputValue: initialValue))
    }

    private func request(_ offset: Int, _ template: Request) throws(HardwareError) -> any GPIOLineRequest {
        try checkOffset(offset)
        return try core.lock.withLock { () throws(HardwareError) -> any GPIOLineRequest in
            try checkPresent()
            if let holder = lines[offset].request {
                throw HardwareError(.busy, lineResource(offset), "line is held by \"\(holder.consumer)\"")
            }
            advance(to: core.clock.nowNanoseconds)
            var request = template
            request.id = nextRequestID
            nextRequestID += 1
            lines[offset].request = request
            // The requester starts from the level it finds, not from an edge it caused.
            lines[offset].level = level(of: offset, at: advancedTo)
            if request.direction == .output { settle() }
            return SimulatedLineRequest(
                chip: self, offset: offset, id: request.id, direction: request.direction, resource: lineResource(offset))
        }
    }

    // MARK: Requests (called by SimulatedLineRequest)

    private func checkHeld(_ offset: Int, _ id: UInt64) throws(HardwareError) -> Request {
        try checkPresent()
        guard let request = lines[offset].request, request.id == id else {
            throw HardwareError(.invalidArgument, lineResource(offset), "line was released")
        }
        return request
    }

    func read(_ offset: Int, id: UInt64) throws(HardwareError) -> Bool {
        try core.lock.withLock { () throws(HardwareError) -> Bool in
            _ = try checkHeld(offset, id)
            advance(to: core.clock.nowNanoseconds)
            return level(of: offset, at: advancedTo)
        }
    }

    func write(_ offset: Int, id: UInt64, value: Bool) throws(HardwareError) {
        try core.lock.withLock { () throws(HardwareError) in
            let request = try checkHeld(offset, id)
            guard request.direction == .output else {
                throw HardwareError(.invalidArgument, lineResource(offset), "line is requested as an input")
            }
            lines[offset].request?.outputValue = value
            settle()
        }
    }

    func waitForEdges(_ offset: Int, id: UInt64, timeout: UInt64) throws(HardwareError) -> [GPIOEdgeEvent] {
        try core.lock.withLock { () throws(HardwareError) -> [GPIOEdgeEvent] in
            let request = try checkHeld(offset, id)
            guard request.direction == .input, request.edges != .none else {
                throw HardwareError(.invalidArgument, lineResource(offset), "line was requested without edge detection")
            }
            // Waits are capped at a day, so "forever" is a long wait, not an overflow.
            let deadline = core.clock.nowNanoseconds + min(timeout, SimulatedGPIOChip.longestWait)
            while true {
                let now = core.clock.nowNanoseconds
                advance(to: now)
                _ = try checkHeld(offset, id)
                if let pending = lines[offset].request?.events, !pending.isEmpty {
                    lines[offset].request?.events.removeAll()
                    return pending
                }
                guard now < deadline else { return [] }
                let wake = min(deadline, nextTransition(of: offset, after: now) ?? deadline)
                if core.clock.isVirtual {
                    core.clock.advance(toNanoseconds: wake)
                } else {
                    core.lock.wait(untilMonotonicNanoseconds: wake)
                }
            }
        }
    }

    func release(_ offset: Int, id: UInt64) {
        core.lock.withLock {
            guard lines[offset].request?.id == id else { return }
            lines[offset].request = nil
            settle()
        }
    }
}

/// A line held on a simulated chip.
final class SimulatedLineRequest: GPIOLineRequest, @unchecked Sendable {
    let offset: Int
    let direction: GPIODirection
    let resource: HardwareResource
    private let chip: SimulatedGPIOChip
    private let id: UInt64

    init(chip: SimulatedGPIOChip, offset: Int, id: UInt64, direction: GPIODirection, resource: HardwareResource) {
        self.chip = chip
        self.offset = offset
        self.id = id
        self.direction = direction
        self.resource = resource
    }

    deinit {
        chip.release(offset, id: id)
    }

    func read() throws(HardwareError) -> Bool {
        try chip.read(offset, id: id)
    }

    func write(_ value: Bool) throws(HardwareError) {
        try chip.write(offset, id: id, value: value)
    }

    func waitForEdges(timeoutNanoseconds: UInt64) throws(HardwareError) -> [GPIOEdgeEvent] {
        try chip.waitForEdges(offset, id: id, timeout: timeoutNanoseconds)
    }

    func release() {
        chip.release(offset, id: id)
    }
}
