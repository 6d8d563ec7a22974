/// How loud a log line is.
public enum LogLevel: Int32 {
    case debug = 0
    case info = 1
    case warning = 2
    case error = 3
}
