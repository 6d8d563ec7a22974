#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CGPIOD
import Hardware
import Synchronization

/// A GPIO character device through libgpiod v1.6.
///
/// libgpiod's chip object is not thread-safe, so every call on it runs under one lock;
/// edge waits poll the request's event descriptor outside that lock so one watched line
/// never blocks another.
public final class LinuxGPIOChip: GPIOChip, @unchecked Sendable {
    public let info: GPIOChipInfo
    /// Guarded by `lock`.
    private let chip: OpaquePointer
    private let lock = Mutex(())

    /// Opens a chip by name, number, label or path (`gpiod_chip_open_lookup`).
    public init(lookup: String) throws(HardwareError) {
        errno = 0
        guard let chip = gpiod_chip_open_lookup(lookup) else {
            throw hardwareError(errno: errno == 0 ? ENOENT : errno, .gpioChip(lookup), "open chip", context: .open)
        }
        self.chip = chip
        info = GPIOChipInfo(
            name: String(cString: gpiod_chip_name(chip)), label: String(cString: gpiod_chip_label(chip)),
            lineCount: Int(gpiod_chip_num_lines(chip)))
    }

    deinit {
        gpiod_chip_close(chip)
    }

    /// Runs `body` on line `offset` with the chip lock held.
    func withLine<Result>(
        _ offset: Int, _ body: (OpaquePointer) throws(HardwareError) -> Result
    ) throws(HardwareError) -> Result {
        try checkOffset(offset)
        return try lock.withLock { _ throws(HardwareError) -> Result in
            guard let line = gpiod_chip_get_line(chip, UInt32(offset)) else {
                throw hardwareError(errno: errno, .gpioLine(chip: info.name, offset: offset, name: nil), "get line", context: .open)
            }
            return try body(line)
        }
    }

    func resource(_ line: OpaquePointer, _ offset: Int) -> HardwareResource {
        .gpioLine(chip: info.name, offset: offset, name: gpiod_line_name(line).map { String(cString: $0) })
    }

    public func lineInfo(_ offset: Int) throws(HardwareError) -> GPIOLineInfo {
        try withLine(offset) { line throws(HardwareError) -> GPIOLineInfo in
            if gpiod_line_update(line) < 0 {
                throw hardwareError(errno: errno, resource(line, offset), "read line info", context: .request)
            }
            let bias: GPIOBias
            switch Int(gpiod_line_bias(line)) {
            case GPIOD_LINE_BIAS_DISABLE: bias = .disabled
            case GPIOD_LINE_BIAS_PULL_UP: bias = .pullUp
            case GPIOD_LINE_BIAS_PULL_DOWN: bias = .pullDown
            default: bias = .asIs
            }
            return GPIOLineInfo(
                offset: offset, name: gpiod_line_name(line).map { String(cString: $0) },
                consumer: gpiod_line_consumer(line).map { String(cString: $0) },
                direction: gpiod_line_direction(line) == Int32(GPIOD_LINE_DIRECTION_OUTPUT) ? .output : .input,
                activeLow: gpiod_line_active_state(line) == Int32(GPIOD_LINE_ACTIVE_STATE_LOW),
                bias: bias, isUsed: gpiod_line_is_used(line))
        }
    }

    public func offset(ofLineNamed name: String) throws(HardwareError) -> Int? {
        lock.withLock { _ in
            gpiod_chip_find_line(chip, name).map { Int(gpiod_line_offset($0)) }
        }
    }

    public func requestInput(
        _ offset: Int, consumer: String, edges: GPIOEdgeDetection, bias: GPIOBias
    ) throws(HardwareError) -> any GPIOLineRequest {
        let type: Int
        switch edges {
        case .none: type = GPIOD_LINE_REQUEST_DIRECTION_INPUT
        case .rising: type = GPIOD_LINE_REQUEST_EVENT_RISING_EDGE
        case .falling: type = GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE
        case .both: type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES
        }
        var flags: Int32 = 0
        switch bias {
        case .asIs: break
        case .disabled: flags = Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
        case .pullUp: flags = Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: flags = Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        }
        return try request(offset, consumer: consumer, type: Int32(type), flags: flags, value: 0, direction: .input, edges: edges)
    }

    public func requestOutput(_ offset: Int, consumer: String, initialValue: Bool) throws(HardwareError) -> any GPIOLineRequest {
        try request(
            offset, consumer: consumer, type: Int32(GPIOD_LINE_REQUEST_DIRECTION_OUTPUT), flags: 0,
            value: initialValue ? 1 : 0, direction: .output, edges: .none)
    }

    private func request(
        _ offset: Int, consumer: String, type: Int32, flags: Int32, value: Int32, direction: GPIODirection,
        edges: GPIOEdgeDetection
    ) throws(HardwareError) -> any GPIOLineRequest {
        try withLine(offset) { line throws(HardwareError) -> any GPIOLineRequest in
            let result = consumer.withCString { name -> (Int32, Int32) in
                var config = gpiod_line_request_config(consumer: name, request_type: type, flags: flags)
                return retryingOnInterrupt { gpiod_line_request(line, &config, value) }
            }
            guard result.0 >= 0 else {
                var error = hardwareError(errno: result.1, resource(line, offset), "request line", context: .request)
                if result.1 == EBUSY, gpiod_line_update(line) >= 0, let holder = gpiod_line_consumer(line) {
                    error.detail += " (held by \"\(String(cString: holder))\")"
                }
                throw error
            }
            let descriptor = edges == .none ? -1 : gpiod_line_event_get_fd(line)
            return LinuxLineRequest(
                chip: self, offset: offset, direction: direction, resource: resource(line, offset),
                eventDescriptor: descriptor)
        }
    }
}

/// A line held through libgpiod. Released on `release()` or deinit.
final class LinuxLineRequest: GPIOLineRequest, @unchecked Sendable {
    let offset: Int
    let direction: GPIODirection
    let resource: HardwareResource
    private let chip: LinuxGPIOChip
    private let eventDescriptor: Int32
    /// True once released. Held for the whole of a wait, so a concurrent release cannot
    /// close the event descriptor (and let its number be reused) under a poll.
    private let released = Mutex(false)
    /// The same fact, readable without waiting for a wait in progress.
    private let isReleased = Atomic(false)

    /// Events read per `read(2)` of the event descriptor.
    private static let eventBatch = 16

    init(chip: LinuxGPIOChip, offset: Int, direction: GPIODirection, resource: HardwareResource, eventDescriptor: Int32) {
        self.chip = chip
        self.offset = offset
        self.direction = direction
        self.resource = resource
        self.eventDescriptor = eventDescriptor
    }

    deinit {
        release()
    }

    private func checkHeld() throws(HardwareError) {
        if isReleased.load(ordering: .acquiring) {
            throw HardwareError(.invalidArgument, resource, "line was released")
        }
    }

    func read() throws(HardwareError) -> Bool {
        try checkHeld()
        return try chip.withLine(offset) { line throws(HardwareError) -> Bool in
            let (value, code) = retryingOnInterrupt { gpiod_line_get_value(line) }
            guard value >= 0 else { throw hardwareError(errno: code, resource, "read value", context: .request) }
            return value == 1
        }
    }

    func write(_ value: Bool) throws(HardwareError) {
        try checkHeld()
        guard direction == .output else {
            throw HardwareError(.invalidArgument, resource, "line is requested as an input")
        }
        try chip.withLine(offset) { line throws(HardwareError) in
            let (result, code) = retryingOnInterrupt { gpiod_line_set_value(line, value ? 1 : 0) }
            guard result >= 0 else { throw hardwareError(errno: code, resource, "write value", context: .request) }
        }
    }

    func waitForEdges(timeoutNanoseconds: UInt64) throws(HardwareError) -> [GPIOEdgeEvent] {
        try released.withLock { isReleased throws(HardwareError) -> [GPIOEdgeEvent] in
            guard !isReleased else { throw HardwareError(.invalidArgument, resource, "line was released") }
            return try waitHeld(timeoutNanoseconds: timeoutNanoseconds)
        }
    }

    private func waitHeld(timeoutNanoseconds: UInt64) throws(HardwareError) -> [GPIOEdgeEvent] {
        guard eventDescriptor >= 0 else {
            throw HardwareError(.invalidArgument, resource, "line was requested without edge detection")
        }
        var request = pollfd(fd: eventDescriptor, events: Int16(POLLIN), revents: 0)
        // Round up to whole milliseconds; poll(2) takes an Int32, about 24 days at most.
        let milliseconds = Int32(clamping: timeoutNanoseconds / 1_000_000 + (timeoutNanoseconds % 1_000_000 == 0 ? 0 : 1))
        let (ready, code) = retryingOnInterrupt { poll(&request, 1, milliseconds) }
        guard ready >= 0 else { throw hardwareError(errno: code, resource, "wait for edge", context: .request) }
        guard ready > 0 else { return [] }
        if request.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            throw HardwareError(.noDevice, resource, "event descriptor closed (chip removed?)")
        }
        var events = [gpiod_line_event](repeating: gpiod_line_event(), count: LinuxLineRequest.eventBatch)
        let (count, readCode) = retryingOnInterrupt {
            gpiod_line_event_read_fd_multiple(eventDescriptor, &events, UInt32(LinuxLineRequest.eventBatch))
        }
        guard count >= 0 else { throw hardwareError(errno: readCode, resource, "read edge events", context: .request) }
        return events.prefix(Int(count)).map { event in
            GPIOEdgeEvent(
                edge: event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling,
                timestampNanoseconds: UInt64(event.ts.tv_sec) * 1_000_000_000 + UInt64(event.ts.tv_nsec),
                offset: offset)
        }
    }

    func release() {
        released.withLock { isReleased in
            guard !isReleased else { return }
            isReleased = true
            self.isReleased.store(true, ordering: .releasing)
            try? chip.withLine(offset) { line throws(HardwareError) in gpiod_line_release(line) }
        }
    }
}
