/// A typed, strict walk over a JSON object that names the file and the field path in
/// every error ("board/sim/board.json: i2c[0].devices[1].address: expected …").
///
/// Unknown members are refused, so a typo in a data file is an error and not a silently
/// ignored setting.
public struct JSONReader {
    public let file: String
    public let path: String
    public let value: JSONValue

    public init(file: String, path: String = "", value: JSONValue) {
        self.file = file
        self.path = path
        self.value = value
    }

    /// A problem in a data file, with where and what was expected.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var file: String
        public var path: String
        public var message: String

        public init(file: String, path: String, message: String) {
            self.file = file
            self.path = path
            self.message = message
        }

        public var description: String {
            path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
        }
    }

    public func problem(_ message: String) -> Problem {
        Problem(file: file, path: path, message: message)
    }

    private func child(_ key: String, _ value: JSONValue) -> JSONReader {
        JSONReader(file: file, path: path.isEmpty ? key : "\(path).\(key)", value: value)
    }

    /// Refuses members outside `allowed`.
    public func onlyMembers(_ allowed: Set<String>) throws(Problem) {
        guard case .object(let members) = value else { throw problem("expected an object, found \(value.kindName)") }
        for (key, _) in members where !allowed.contains(key) {
            throw problem("unknown field \"\(key)\" (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    public func optional(_ key: String) throws(Problem) -> JSONReader? {
        guard case .object = value else { throw problem("expected an object, found \(value.kindName)") }
        guard let member = value[key] else { return nil }
        return child(key, member)
    }

    public func required(_ key: String) throws(Problem) -> JSONReader {
        guard let member = try optional(key) else { throw problem("missing field \"\(key)\"") }
        return member
    }

    public func string() throws(Problem) -> String {
        guard case .string(let text) = value else { throw problem("expected a string, found \(value.kindName)") }
        return text
    }

    public func bool() throws(Problem) -> Bool {
        guard case .bool(let flag) = value else { throw problem("expected true or false, found \(value.kindName)") }
        return flag
    }

    public func number() throws(Problem) -> Double {
        guard case .number(let number) = value else { throw problem("expected a number, found \(value.kindName)") }
        return number
    }

    /// An integer, from a JSON number or a string such as "0x68", within `range`.
    public func integer(in range: ClosedRange<Int>) throws(Problem) -> Int {
        let result: Int
        switch value {
        case .number(let number):
            guard number.rounded() == number, abs(number) < 1e15 else {
                throw problem("expected an integer, found \(number)")
            }
            result = Int(number)
        case .string(let text):
            guard let parsed = parseHexOrDecimal(text) else { throw problem("expected an integer, found \"\(text)\"") }
            result = parsed
        default:
            throw problem("expected an integer, found \(value.kindName)")
        }
        guard range.contains(result) else {
            throw problem("\(result) is out of range (expected \(range.lowerBound)-\(range.upperBound))")
        }
        return result
    }

    public func array() throws(Problem) -> [JSONReader] {
        guard case .array(let elements) = value else { throw problem("expected an array, found \(value.kindName)") }
        return elements.enumerated().map { JSONReader(file: file, path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    /// The members of an object in file order, each as a reader.
    public func members() throws(Problem) -> [(String, JSONReader)] {
        guard case .object(let members) = value else { throw problem("expected an object, found \(value.kindName)") }
        return members.map { ($0.0, child($0.0, $0.1)) }
    }

    private func parseHexOrDecimal(_ text: String) -> Int? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return Int(lower.dropFirst(2), radix: 16) }
        return Int(lower)
    }
}
