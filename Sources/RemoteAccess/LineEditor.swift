/// The console's line editing, done as a terminal driver does it for a shell: keys in,
/// what to echo and what the keys mean out. Pure (no channel), so it is tested byte by byte.
///
/// Enter submits, Backspace erases, Ctrl-U clears the line, ↑/↓ walk the history, Ctrl-C
/// interrupts, Ctrl-D on an empty line ends the input, Tab asks for a completion.
struct LineEditor {
    /// What a key meant.
    enum Event: Equatable {
        /// Text to show (only made when echoing: the client has a terminal).
        case echo(String)
        /// Enter: the line, already cleared here.
        case submit(String)
        /// Ctrl-C: the line is cleared (when idle) and the caller decides what it stops.
        case interrupt
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Tab: the caller looks up candidates for `completionWord` and calls `complete`.
        case complete
    }

    static let maximumLine = 4096
    static let historyLimit = 100

    /// Whether keys are echoed back (the session has a pty).
    var echoes: Bool
    private(set) var line: [UInt8] = []
    private(set) var history: [String] = []
    /// While walking the history with ↑/↓: the entry shown (nil: the line being typed).
    private var browsing: Int?
    private var escape: [UInt8] = []

    init(echoes: Bool) {
        self.echoes = echoes
    }

    var text: String { String(decoding: line, as: UTF8.self) }

    /// The last word of the line: what Tab completes.
    var completionWord: (word: String, isFirst: Bool) {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        return (String(words.last ?? ""), words.count <= 1)
    }

    /// One key. `busy`: a command is running (↑ does not recall then, Ctrl-C keeps the line).
    mutating func type(_ byte: UInt8, busy: Bool = false) -> [Event] {
        if !escape.isEmpty || byte == 0x1B {
            return escapeSequence(byte, busy: busy)
        }
        switch byte {
        case 0x0D, 0x0A:
            let submitted = text
            line = []
            browsing = nil
            return (echoes ? [.echo("\n")] : []) + [.submit(submitted)]
        case 0x7F, 0x08:
            guard !line.isEmpty else { return [] }
            line.removeLast()
            return echoes ? [.echo("\u{8} \u{8}")] : []
        case 0x15:
            return replaceLine(with: "")
        case 0x03:
            guard !busy else { return [.interrupt] }
            line = []
            browsing = nil
            return (echoes ? [.echo("^C\n")] : []) + [.interrupt]
        case 0x04:
            return line.isEmpty ? [.endOfInput] : []
        case 0x09:
            return [.complete]
        default:
            // A line longer than any command is cut, not grown without end.
            guard byte >= 0x20, line.count < Self.maximumLine else { return [] }
            line.append(byte)
            return echoes ? [.echo(String(decoding: [byte], as: UTF8.self))] : []
        }
    }

    /// ESC [ A / ESC [ B (or ESC O A / B) walk the history; other sequences are dropped
    /// whole: a CSI sequence (ESC [ …) runs to its final byte (0x40–0x7E), so Delete
    /// (ESC [ 3 ~) or Ctrl-← (ESC [ 1 ; 5 D) leave nothing in the line.
    private mutating func escapeSequence(_ byte: UInt8, busy: Bool) -> [Event] {
        escape.append(byte)
        if escape.count == 2, byte != 0x5B, byte != 0x4F {
            escape = []
            return []
        }
        guard escape.count >= 3 else { return [] }
        // A CSI sequence's parameters (0x20–0x3F) come before its final byte; a runaway one ends at 16.
        if escape[1] == 0x5B, (0x20...0x3F).contains(byte), escape.count < 16 { return [] }
        defer { escape = [] }
        guard escape.count == 3, !busy, !history.isEmpty else { return [] }
        switch escape[2] {
        case 0x41:
            let index = max(0, (browsing ?? history.count) - 1)
            browsing = index
            return replaceLine(with: history[index])
        case 0x42:
            guard let current = browsing else { return [] }
            if current + 1 < history.count {
                browsing = current + 1
                return replaceLine(with: history[current + 1])
            }
            browsing = nil
            return replaceLine(with: "")
        default:
            return []
        }
    }

    /// Shows `text` instead of the line (erasing what was shown).
    mutating func replaceLine(with text: String) -> [Event] {
        let erase = String(repeating: "\u{8} \u{8}", count: line.count)
        line = Array(text.utf8.prefix(Self.maximumLine))
        guard echoes else { return [] }
        let shown = erase + text
        return shown.isEmpty ? [] : [.echo(shown)]
    }

    /// Completes the last word from `candidates`: the one match with a space after it.
    mutating func complete(_ candidates: [String]) -> [Event] {
        let partial = completionWord.word
        let matches = candidates.filter { $0.hasPrefix(partial) }
        guard matches.count == 1, let match = matches.first else { return [] }
        let rest = String(match.dropFirst(partial.count)) + " "
        guard line.count + rest.utf8.count <= Self.maximumLine else { return [] }
        line += Array(rest.utf8)
        return echoes ? [.echo(rest)] : []
    }

    /// Keeps a submitted command for ↑ (not blank ones, not the same twice in a row).
    mutating func remember(_ command: String) {
        guard !command.isEmpty, history.last != command else { return }
        history.append(command)
        if history.count > Self.historyLimit { history.removeFirst() }
    }
}
