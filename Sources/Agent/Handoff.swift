/// A value handed between threads whose type is not Sendable, by a path that hands it over once.
final class Handoff<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
