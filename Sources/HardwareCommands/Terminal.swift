#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's standard streams and sleeping, for the command-line entry points.
public enum Terminal {
    public static func writeLine(_ line: String) {
        write(line + "\n", to: STDOUT_FILENO)
    }

    public static func writeError(_ line: String) {
        write(line + "\n", to: STDERR_FILENO)
    }

    /// write(2) of the whole text, unbuffered so streamed output (gpio mon) shows at once.
    public static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// nanosleep(2), resumed after signals until the time is up or `shouldStop` says so.
    public static func sleep(nanoseconds: UInt64, shouldStop: () -> Bool = { false }) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR, !shouldStop() {
            request = remaining
        }
    }

    public static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }
}

extension HardwareLeafCommand {
    /// ArgumentParser's entry point: the command run as its own process.
    public func run() throws {
        try runFromCommandLine(
            output: Terminal.writeLine, errorOutput: Terminal.writeError, shouldStop: { false },
            sleep: { Terminal.sleep(nanoseconds: $0) })
    }
}
