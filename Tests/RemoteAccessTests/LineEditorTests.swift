@testable import RemoteAccess
import Testing

@Suite struct LineEditorTests {
    func type(_ text: String, into editor: inout LineEditor, busy: Bool = false) -> [LineEditor.Event] {
        text.utf8.flatMap { editor.type($0, busy: busy) }
    }

    @Test func enterSubmitsTheLineAndEchoesOnlyWithATerminal() {
        var terminal = LineEditor(echoes: true)
        #expect(type("ls\r", into: &terminal) == [.echo("l"), .echo("s"), .echo("\n"), .submit("ls")])
        var pipe = LineEditor(echoes: false)
        #expect(type("ls\n", into: &pipe) == [.submit("ls")])
        #expect(pipe.line.isEmpty)
    }

    @Test func backspaceAndCtrlUEraseWhatWasShown() {
        var editor = LineEditor(echoes: true)
        _ = type("set", into: &editor)
        #expect(editor.type(0x7F) == [.echo("\u{8} \u{8}")])
        #expect(editor.text == "se")
        #expect(editor.type(0x15) == [.echo("\u{8} \u{8}\u{8} \u{8}")])
        #expect(editor.text.isEmpty)
        // Nothing to erase: nothing shown.
        #expect(editor.type(0x7F).isEmpty && editor.type(0x15).isEmpty)
        _ = type("status flow", into: &editor)
        #expect(type("\r", into: &editor).last == .submit("status flow"))
    }

    @Test func upAndDownWalkTheHistoryAndComeBackToAnEmptyLine() {
        var editor = LineEditor(echoes: false)
        for command in ["services", "status flow", "status flow", "log"] { editor.remember(command) }
        #expect(editor.history == ["services", "status flow", "log"])
        let up = "\u{1B}[A", down = "\u{1B}[B"
        _ = type(up, into: &editor)
        #expect(editor.text == "log")
        _ = type(up + up + up, into: &editor)
        #expect(editor.text == "services")
        _ = type(down, into: &editor)
        #expect(editor.text == "status flow")
        _ = type(down + down, into: &editor)
        #expect(editor.text.isEmpty)
        // Application-mode arrows too; nothing while a command runs; other sequences dropped whole.
        _ = type("\u{1B}OA", into: &editor)
        #expect(editor.text == "log")
        var busy = LineEditor(echoes: false)
        busy.remember("services")
        #expect(type(up, into: &busy, busy: true).isEmpty && busy.text.isEmpty)
        _ = type("\u{1B}[Cx", into: &busy)
        #expect(busy.text == "x")
        // Longer sequences (Delete, Ctrl-←, a function key) leave nothing behind.
        _ = type("\u{1B}[3~\u{1B}[1;5Dy\u{1B}[15~", into: &busy)
        #expect(busy.text == "xy")
    }

    @Test func ctrlCClearsAnIdleLineAndCtrlDEndsOnlyAnEmptyOne() {
        var editor = LineEditor(echoes: true)
        _ = type("restart", into: &editor)
        #expect(editor.type(0x04).isEmpty)
        #expect(editor.type(0x03) == [.echo("^C\n"), .interrupt])
        #expect(editor.text.isEmpty)
        #expect(editor.type(0x04) == [.endOfInput])
        // While a command runs, Ctrl-C interrupts it and the typed line stays.
        _ = type("log", into: &editor)
        #expect(editor.type(0x03, busy: true) == [.interrupt])
        #expect(editor.text == "log")
    }

    @Test func tabCompletesOnlyAUniqueMatch() {
        var editor = LineEditor(echoes: true)
        _ = type("sta", into: &editor)
        #expect(editor.type(0x09) == [.complete])
        #expect(editor.completionWord == ("sta", true))
        #expect(editor.complete(["status", "start"]).isEmpty)
        _ = type("tu", into: &editor)
        #expect(editor.complete(["status", "start"]) == [.echo("s ")])
        #expect(editor.text == "status ")
        #expect(editor.completionWord == ("", false))
    }

    @Test func controlBytesAreIgnoredAndALineIsCutAtItsLimit() {
        var editor = LineEditor(echoes: false)
        #expect(editor.type(0x07).isEmpty)
        _ = type(String(repeating: "x", count: LineEditor.maximumLine + 10), into: &editor)
        #expect(editor.line.count == LineEditor.maximumLine)
    }
}
