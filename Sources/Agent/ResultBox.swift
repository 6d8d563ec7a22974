import Platform

/// A result handed from the loop thread to a waiting caller.
final class ResultBox<Value>: @unchecked Sendable {
    var result: Value?
    let done = ConditionLock()
}
