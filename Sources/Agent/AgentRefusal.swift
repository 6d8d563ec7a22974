/// Why the agent refused a console request (or could not open a device it was given, the
/// watchdog): what kind of problem (for code that decides,
/// such as a front-end choosing an exit status) and the line said to the person who asked.
public struct AgentRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// No such service, module or parameter.
        case unknownName
        /// A parameter value out of its range or not a number.
        case invalidValue
        /// The request needs the service running (or stopped) and it is not.
        case wrongState
        /// The service did not start, or crashed handling the request.
        case serviceFailed
        /// Its module could not be loaded.
        case moduleUnavailable
        /// The data partition could not store it.
        case storage
        /// A device the agent opens (the watchdog) could not be used.
        case device
        /// The agent is stopping and takes no more requests.
        case stopping
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
