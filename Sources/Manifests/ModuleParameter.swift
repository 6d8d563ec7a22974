/// A tunable parameter a module declares: its type, default, range and unit.
public struct ModuleParameter: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case int, float, bool
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: Double
    public let minimum: Double?
    public let maximum: Double?
    public let unit: String?
    public let summary: String

    public init(
        name: String, kind: Kind, defaultValue: Double, minimum: Double? = nil, maximum: Double? = nil,
        unit: String? = nil, summary: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.unit = unit
        self.summary = summary
    }

    /// A refused value, with the reason people see.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }

        public init(message: String) {
            self.message = message
        }
    }

    /// Checks a value against the type and range.
    public func validate(_ value: Double) throws(Refusal) -> Double {
        guard value.isFinite else { throw Refusal(message: "\(name) must be a finite number") }
        switch kind {
        case .bool:
            guard value == 0 || value == 1 else { throw Refusal(message: "\(name) is a bool (true or false)") }
        case .int:
            guard value.rounded() == value else { throw Refusal(message: "\(name) is an integer, not \(format(value))") }
        case .float:
            break
        }
        if let minimum, value < minimum {
            throw Refusal(message: "\(name) = \(format(value)) is below the minimum \(format(minimum))\(unitSuffix)")
        }
        if let maximum, value > maximum {
            throw Refusal(message: "\(name) = \(format(value)) is above the maximum \(format(maximum))\(unitSuffix)")
        }
        return value
    }

    /// Parses what a person types (`-3`, `2.5`, `true`) and validates it.
    public func parse(_ text: String) throws(Refusal) -> Double {
        let value: Double
        switch (kind, text) {
        case (.bool, "true"), (.bool, "on"), (.bool, "1"): value = 1
        case (.bool, "false"), (.bool, "off"), (.bool, "0"): value = 0
        case (.bool, _): throw Refusal(message: "\(name) is a bool: true or false, not '\(text)'")
        default:
            guard let number = Double(text) else { throw Refusal(message: "\(name) needs a number, not '\(text)'") }
            value = number
        }
        return try validate(value)
    }

    /// The value as a person reads it (`-3`, `2.5`, `true`).
    public func format(_ value: Double) -> String {
        switch kind {
        case .bool: return value != 0 ? "true" : "false"
        case .int: return value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .float: return String(value)
        }
    }

    private var unitSuffix: String { unit.map { " \($0)" } ?? "" }
}
