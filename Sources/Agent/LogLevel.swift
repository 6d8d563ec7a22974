import ModuleHost

/// How loud a log line is: the same levels a module logs at (the ABI numbers them 0–3).
public typealias LogLevel = ServiceResources.LogLevel
