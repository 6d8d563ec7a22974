#if canImport(Glibc)
import Glibc
#endif

/// A front-end's side of the control socket: the handshake, then console lines and
/// uploads, one at a time, each answered by output and an exit status.
public final class ControlClient {
    public let connection: ControlConnection
    /// What the core says to a new console: the board, the firmware, stored-state problems.
    public let banner: [String]

    /// Connects to the core at `path` and says hello.
    public init(path: String) throws(ControlProtocolError) {
        connection = try ControlConnection.connect(to: path)
        try connection.send(.hello, text: ControlFrame.greeting)
        let answer = try connection.receive()
        switch answer.kind {
        case .welcome:
            var lines = answer.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.first == ControlFrame.greeting else { throw .versionMismatch(lines.first ?? "") }
            lines.removeFirst()
            banner = lines.filter { !$0.isEmpty }
        case .refused:
            throw .refused(answer.text)
        default:
            throw .unexpected(answer.kind, expected: "welcome")
        }
    }

    /// Runs one console line; its output goes to `write` as it comes (`.output` or
    /// `.error`), and `interrupted` is asked often (Ctrl-C is passed on once it says so).
    /// Returns the command's exit status.
    public func run(
        _ line: String, write: (ControlFrame.Kind, [UInt8]) -> Void, interrupted: () -> Bool = { false }
    ) throws(ControlProtocolError) -> Int32 {
        try connection.send(.run, text: line)
        return try answer(write: write, interrupted: interrupted)
    }

    /// Ctrl-C for the command running now.
    public func interrupt() {
        try? connection.send(ControlFrame(.interrupt))
    }

    /// Streams what `descriptor` holds until its end as a module bundle (`.push`) or a
    /// firmware bundle (`.firmware`) with `options`; returns the exit status of the outcome.
    public func upload(
        _ kind: ControlFrame.Kind, options: String, from descriptor: Int32, write: (ControlFrame.Kind, [UInt8]) -> Void
    ) throws(ControlProtocolError) -> Int32 {
        try connection.send(kind, text: options)
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        do throws(ControlProtocolError) {
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ControlProtocolError.system(call: "read standard input", reason: String(cString: strerror(errno)))
                }
                if count == 0 { break }
                try connection.send(ControlFrame(.data, Array(chunk.prefix(count))))
            }
            try connection.send(ControlFrame(.end))
        } catch .closed {
            // The core refused part-way and closed: its answer is still to be read.
        } catch .timedOut {
            // It stopped reading (maybe mid-frame): say so by closing our side, then read its answer.
            shutdown(connection.descriptor, Int32(SHUT_WR))
        }
        return try answer(write: write)
    }

    private func answer(write: (ControlFrame.Kind, [UInt8]) -> Void, interrupted: () -> Bool = { false }) throws(ControlProtocolError) -> Int32 {
        while true {
            let frame: ControlFrame
            do {
                frame = try connection.receive(timeoutMilliseconds: 100)
            } catch .timedOut {
                if interrupted() { interrupt() }
                continue
            }
            switch frame.kind {
            case .output, .error:
                write(frame.kind, frame.payload)
            case .exit:
                return Int32(frame.text) ?? 1
            case .refused:
                throw .refused(frame.text)
            default:
                throw .unexpected(frame.kind, expected: "output or exit")
            }
        }
    }
}
