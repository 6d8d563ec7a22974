import Hardware
import JSON

/// gpiod-tools-like operations (v1.6 `gpiodetect`, `gpioinfo`, `gpioget`, `gpioset`,
/// `gpiomon`) on any backend, with the same output layout.
public struct GPIOTool: Sendable {
    public let backend: any HardwareBackend
    /// The consumer name lines are requested under.
    public let consumer: String

    public init(backend: any HardwareBackend, consumer: String = "midflight") {
        self.backend = backend
        self.consumer = consumer
    }

    /// `gpiochip0 [label] (32 lines)` for every chip.
    public func detect() throws(HardwareError) -> [GPIOChipInfo] {
        var chips: [GPIOChipInfo] = []
        for name in backend.gpioChipNames() {
            chips.append(try backend.gpioChip(name).info)
        }
        return chips
    }

    public static func formatDetect(_ chips: [GPIOChipInfo]) -> String {
        chips.map { "\($0.name) [\($0.label)] (\($0.lineCount) lines)" }.joined(separator: "\n")
    }

    public func info(chip lookup: String) throws(HardwareError) -> (GPIOChipInfo, [GPIOLineInfo]) {
        let chip = try backend.gpioChip(lookup)
        return (chip.info, try chip.allLineInfo())
    }

    /// The `gpioinfo` listing.
    public static func formatInfo(_ chip: GPIOChipInfo, _ lines: [GPIOLineInfo]) -> String {
        var output = ["\(chip.name) - \(chip.lineCount) lines:"]
        for line in lines {
            let name = line.name.map { "\"\($0)\"" } ?? "unnamed"
            let consumer = line.consumer.map { "\"\($0)\"" } ?? (line.isUsed ? "kernel" : "unused")
            var text = "\tline " + pad(String(line.offset), 3) + ": " + pad(name, 12) + " " + pad(consumer, 12)
            text += " " + pad(line.direction.rawValue, 6) + " " + (line.activeLow ? "active-low" : "active-high")
            if line.bias != .asIs { text += " [\(line.bias.rawValue)]" }
            if line.isUsed { text += " [used]" }
            output.append(text)
        }
        return output.joined(separator: "\n")
    }

    public static func infoJSON(_ chip: GPIOChipInfo, _ lines: [GPIOLineInfo]) -> JSONValue {
        .object([
            ("chip", .string(chip.name)), ("label", .string(chip.label)),
            (
                "lines",
                .array(
                    lines.map { line in
                        .object([
                            ("offset", .number(Double(line.offset))),
                            ("name", line.name.map(JSONValue.string) ?? .null),
                            ("consumer", line.consumer.map(JSONValue.string) ?? .null),
                            ("direction", .string(line.direction.rawValue)),
                            ("bias", .string(line.bias.rawValue)),
                            ("used", .bool(line.isUsed)),
                        ])
                    })
            ),
        ])
    }

    /// Reads lines as inputs (requested and released again, as `gpioget` does).
    public func get(chip lookup: String, lines selectors: [GPIOLineSelector], bias: GPIOBias) throws(HardwareError) -> [Bool] {
        guard !selectors.isEmpty else {
            throw HardwareError(.invalidArgument, .gpioChip(lookup), "name at least one line")
        }
        let chip = try backend.gpioChip(lookup)
        var values: [Bool] = []
        for selector in selectors {
            let request = try chip.requestInput(try chip.resolve(selector), consumer: consumer, edges: .none, bias: bias)
            defer { request.release() }
            values.append(try request.read())
        }
        return values
    }

    /// Drives lines as outputs and returns the requests; the lines hold their values
    /// until the requests are released (as `gpioset --mode=wait`).
    public func set(chip lookup: String, values: [(GPIOLineSelector, Bool)]) throws(HardwareError) -> [any GPIOLineRequest] {
        guard !values.isEmpty else {
            throw HardwareError(.invalidArgument, .gpioChip(lookup), "name at least one LINE=VALUE")
        }
        let chip = try backend.gpioChip(lookup)
        var requests: [any GPIOLineRequest] = []
        for (selector, value) in values {
            requests.append(try chip.requestOutput(try chip.resolve(selector), consumer: consumer, initialValue: value))
        }
        return requests
    }

    /// Parses `17=1` or `led=0`.
    public static func parseAssignment(_ text: String, chip: String) throws(HardwareError) -> (GPIOLineSelector, Bool) {
        let parts = text.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1] == "0" || parts[1] == "1" else {
            throw HardwareError(.invalidArgument, .gpioChip(chip), "'\(text)' is not LINE=0 or LINE=1")
        }
        return (GPIOLineSelector(String(parts[0])), parts[1] == "1")
    }

    /// Watches lines for edges and hands each event to `report` until `count` events
    /// (nil: no limit) or until `deadlineNanoseconds` of quiet on every line; `shouldStop`
    /// is checked between waits (Ctrl-C in a console).
    public func monitor(
        chip lookup: String, lines selectors: [GPIOLineSelector], edges: GPIOEdgeDetection, bias: GPIOBias,
        count: Int?, idleTimeoutNanoseconds: UInt64?, shouldStop: () -> Bool = { false },
        report: (GPIOEdgeEvent) -> Void
    ) throws(HardwareError) {
        guard !selectors.isEmpty else {
            throw HardwareError(.invalidArgument, .gpioChip(lookup), "name at least one line")
        }
        guard edges != .none else {
            throw HardwareError(.invalidArgument, .gpioChip(lookup), "monitoring needs rising, falling or both edges")
        }
        let chip = try backend.gpioChip(lookup)
        var requests: [any GPIOLineRequest] = []
        defer { requests.forEach { $0.release() } }
        for selector in selectors {
            requests.append(try chip.requestInput(try chip.resolve(selector), consumer: consumer, edges: edges, bias: bias))
        }
        var seen = 0
        // Several lines: poll each in short slices so one quiet line does not starve another.
        let slice: UInt64 = requests.count == 1 ? 100_000_000 : 10_000_000
        var quiet: UInt64 = 0
        while !shouldStop() {
            var gotAny = false
            for request in requests {
                for event in try request.waitForEdges(timeoutNanoseconds: slice) {
                    report(event)
                    gotAny = true
                    seen += 1
                    if let count, seen >= count { return }
                }
            }
            quiet = gotAny ? 0 : quiet + slice * UInt64(requests.count)
            if let idleTimeoutNanoseconds, quiet >= idleTimeoutNanoseconds { return }
        }
    }

    /// gpiomon v1.6's line: `event:  RISING EDGE offset: 17 timestamp: [     12.345678901]`.
    public static func formatEvent(_ event: GPIOEdgeEvent) -> String {
        let seconds = event.timestampNanoseconds / 1_000_000_000
        let nanoseconds = event.timestampNanoseconds % 1_000_000_000
        let edge = event.edge == .rising ? " RISING EDGE" : "FALLING EDGE"
        return "event: \(edge) offset: \(event.offset) timestamp: [\(pad(String(seconds), 8)).\(nanosecondDigits(nanoseconds))]"
    }

    public static func eventJSON(_ event: GPIOEdgeEvent) -> JSONValue {
        .object([
            ("edge", .string(event.edge.rawValue)), ("offset", .number(Double(event.offset))),
            ("timestampNs", .number(Double(event.timestampNanoseconds))),
        ])
    }

    private static func nanosecondDigits(_ nanoseconds: UInt64) -> String {
        let text = String(nanoseconds)
        return String(repeating: "0", count: 9 - text.count) + text
    }
}

/// Right-aligns `text` in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}
