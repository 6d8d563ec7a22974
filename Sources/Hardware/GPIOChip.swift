/// One GPIO controller (`/dev/gpiochipN` or a simulated chip).
///
/// Lines are requested exclusively: a second request for a held line fails with `.busy`,
/// naming the holder, until the first request is released.
public protocol GPIOChip: AnyObject, Sendable {
    var info: GPIOChipInfo { get }

    /// The state of line `offset` as the kernel reports it.
    func lineInfo(_ offset: Int) throws(HardwareError) -> GPIOLineInfo

    /// The offset of the line with this name, if the chip has one.
    func offset(ofLineNamed name: String) throws(HardwareError) -> Int?

    /// Requests a line as an input, with optional edge detection and bias.
    func requestInput(
        _ offset: Int, consumer: String, edges: GPIOEdgeDetection, bias: GPIOBias
    ) throws(HardwareError) -> any GPIOLineRequest

    /// Requests a line as an output driving `initialValue`.
    func requestOutput(_ offset: Int, consumer: String, initialValue: Bool) throws(HardwareError) -> any GPIOLineRequest
}

extension GPIOChip {
    /// Resolves an offset or a line name to an offset, with errors that name the chip.
    public func resolve(_ selector: GPIOLineSelector) throws(HardwareError) -> Int {
        switch selector {
        case .offset(let offset):
            try checkOffset(offset)
            return offset
        case .name(let name):
            guard let offset = try offset(ofLineNamed: name) else {
                throw HardwareError(.noDevice, .gpioChip(info.name), "no line named \"\(name)\"")
            }
            return offset
        }
    }

    /// Refuses offsets beyond the chip, with the chip's size in the message.
    public func checkOffset(_ offset: Int) throws(HardwareError) {
        guard offset >= 0, offset < info.lineCount else {
            throw HardwareError(
                .invalidArgument, .gpioChip(info.name),
                "line offset \(offset) is beyond the chip (expected 0-\(info.lineCount - 1))")
        }
    }

    /// Every line's info, in offset order.
    public func allLineInfo() throws(HardwareError) -> [GPIOLineInfo] {
        var lines: [GPIOLineInfo] = []
        for offset in 0..<info.lineCount {
            lines.append(try lineInfo(offset))
        }
        return lines
    }
}

/// A line held by this process. Released by `release()` or when the last reference goes.
public protocol GPIOLineRequest: AnyObject, Sendable {
    var offset: Int { get }
    var direction: GPIODirection { get }
    /// The name of the line for messages (`gpiochip0:17 "button"`).
    var resource: HardwareResource { get }

    /// The line's level: true is high (physical level; no active-low inversion here).
    func read() throws(HardwareError) -> Bool

    /// Drives an output line; refused with `.invalidArgument` on an input.
    func write(_ value: Bool) throws(HardwareError)

    /// Waits up to `timeoutNanoseconds` for edge events and returns those that are
    /// pending (oldest first); empty when the time ran out. Refused on a line requested
    /// without edge detection.
    func waitForEdges(timeoutNanoseconds: UInt64) throws(HardwareError) -> [GPIOEdgeEvent]

    /// Gives the line back; later calls fail with `.invalidArgument`. Idempotent.
    func release()
}
