/// Which way a line points.
public enum GPIODirection: String, Hashable, Sendable {
    case input
    case output
}

/// The bias a requested input line asks for (libgpiod's `GPIOD_LINE_REQUEST_FLAG_BIAS_*`).
public enum GPIOBias: String, Hashable, Sendable, CaseIterable {
    /// Leave whatever the board or a previous user configured.
    case asIs = "as-is"
    case disabled
    case pullUp = "pull-up"
    case pullDown = "pull-down"
}

/// Which edges of an input line produce events.
public enum GPIOEdgeDetection: String, Hashable, Sendable, CaseIterable {
    case none
    case rising
    case falling
    case both

    public func reports(_ edge: GPIOEdge) -> Bool {
        switch self {
        case .none: return false
        case .both: return true
        case .rising: return edge == .rising
        case .falling: return edge == .falling
        }
    }
}

/// A change of a line's physical level.
public enum GPIOEdge: String, Hashable, Sendable {
    case rising
    case falling
}

/// One edge seen on a requested input line.
public struct GPIOEdgeEvent: Hashable, Sendable, CustomStringConvertible {
    public var edge: GPIOEdge
    /// CLOCK_MONOTONIC nanoseconds as the kernel stamps them (the simulator's clock for
    /// simulated lines).
    public var timestampNanoseconds: UInt64
    public var offset: Int

    public init(edge: GPIOEdge, timestampNanoseconds: UInt64, offset: Int) {
        self.edge = edge
        self.timestampNanoseconds = timestampNanoseconds
        self.offset = offset
    }

    public var description: String {
        "\(edge) at \(timestampNanoseconds) ns on line \(offset)"
    }
}

/// How a line is chosen: by offset on its chip or by the name the board gives it.
public enum GPIOLineSelector: Hashable, Sendable, CustomStringConvertible {
    case offset(Int)
    case name(String)

    /// A decimal number is an offset; anything else is a line name.
    public init(_ text: String) {
        if let value = Int(text) {
            self = .offset(value)
        } else {
            self = .name(text)
        }
    }

    public var description: String {
        switch self {
        case .offset(let offset): return String(offset)
        case .name(let name): return "\"\(name)\""
        }
    }
}

/// What `gpioinfo` shows for a line.
public struct GPIOLineInfo: Hashable, Sendable {
    public var offset: Int
    public var name: String?
    /// Who holds the line, if anyone.
    public var consumer: String?
    public var direction: GPIODirection
    public var activeLow: Bool
    public var bias: GPIOBias
    public var isUsed: Bool

    public init(
        offset: Int, name: String?, consumer: String?, direction: GPIODirection,
        activeLow: Bool = false, bias: GPIOBias = .asIs, isUsed: Bool
    ) {
        self.offset = offset
        self.name = name
        self.consumer = consumer
        self.direction = direction
        self.activeLow = activeLow
        self.bias = bias
        self.isUsed = isUsed
    }
}

/// What `gpiodetect` shows for a chip.
public struct GPIOChipInfo: Hashable, Sendable {
    /// `gpiochip0`.
    public var name: String
    /// The driver's label, e.g. `pinctrl-bcm2711` or `gpio-sim.0-node0`.
    public var label: String
    public var lineCount: Int

    public init(name: String, label: String, lineCount: Int) {
        self.name = name
        self.label = label
        self.lineCount = lineCount
    }
}
