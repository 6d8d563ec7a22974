/// A host call from an instance not yet bound to a service (a standby's start function).
struct UnboundInstance: Error, CustomStringConvertible {
    let function: String
    var description: String { "\(function) called before the instance was bound to a service" }
}
