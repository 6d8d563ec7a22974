/// What a host call returned: 0 is success. The same codes as the ABI's `Status`
/// (`ModuleABI.Status` on the host side; a test keeps the two identical).
public enum HostStatus: Int32 {
    case ok = 0
    case notGranted = -1
    case badPointer = -2
    case nack = -3
    case timeout = -4
    case busy = -5
    case noDevice = -6
    case invalidArgument = -7
    case io = -8
    case unsupported = -9
    case permission = -10
    case failed = -11
    case incompatibleState = -12

    /// Any code the SDK does not know reads as `.failed`.
    public init(code: Int32) {
        self = HostStatus(rawValue: code) ?? .failed
    }

    public var isOK: Bool { self == .ok }
}

/// A host call's value, or why there is none.
public enum HostResult<Value> {
    case success(Value)
    case failure(HostStatus)

    /// The value, or nil on failure.
    public var value: Value? {
        if case .success(let value) = self { return value }
        return nil
    }

    public var status: HostStatus {
        if case .failure(let status) = self { return status }
        return .ok
    }
}
