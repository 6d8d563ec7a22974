#if canImport(Glibc)
import Glibc
#endif
import Agent
import AgentCommands
import HardwareCommands
import NIOCore
import NIOSSH
import Platform
import Updates

/// The console of an SSH session: interactive (a shell; with a pty we are the terminal
/// driver: echo, line editing, history, Tab, Ctrl-C, Ctrl-D) or one command
/// (`ssh DEVICE 'services'`). Commands run on their own thread, never on the event loop,
/// and their output waits for SSH within the session's `OutputBudget`.
final class ConsoleSessionHandler: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData

    /// What the session was opened for.
    enum Start {
        case shell
        case command(String)
    }

    static let maximumTypeAhead = 32

    private let agent: RunningAgent
    private let start: Start
    private var editor: LineEditor
    private var pending: [String] = []
    private var busy = false
    /// A completion is being looked up; keys typed meanwhile wait in `heldInput`.
    private var completing = false
    private var heldInput: [UInt8] = []
    /// Ctrl-D or end of input arrived while a command ran: leave once the queue is done.
    private var closeWhenIdle = false
    /// The session is ending (its exit status is on its way).
    private var ending = false
    private let stop = StopFlag()
    /// What this session's commands have written and SSH has not taken yet.
    let budget: OutputBudget

    init(agent: RunningAgent, start: Start, pty: Bool, budget: OutputBudget = OutputBudget()) {
        self.agent = agent
        self.start = start
        self.budget = budget
        editor = LineEditor(echoes: pty)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        switch start {
        case .shell:
            for line in AgentConsole.banner(of: agent) { write(context.channel, line + "\n") }
            prompt(context.channel)
        case .command(let command):
            run(command, channel: context.channel, then: .exit)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else { return context.fireUserInboundEventTriggered(event) }
        guard case .shell = start else { return }
        // Typed-ahead input held behind a completion still runs before the session ends.
        if busy || completing { closeWhenIdle = true } else { finish(context.channel, status: 0) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        // A one-command session reads no input.
        guard case .shell = start, case .byteBuffer(let buffer) = message.data, case .channel = message.type else { return }
        feed(Array(buffer.readableBytesView), channel: context.channel)
    }

    // MARK: The line editor (we are the terminal driver when there is a pty)

    /// Types `bytes` in order; from a Tab whose completion is being looked up on, the rest
    /// waits, so a fast typist's Enter applies to the completed line.
    private func feed(_ bytes: [UInt8], channel: Channel) {
        for (index, byte) in bytes.enumerated() {
            if completing {
                heldInput += bytes[index...].prefix(max(0, LineEditor.maximumLine - heldInput.count))
                return
            }
            type(byte, channel: channel)
        }
    }

    private func type(_ byte: UInt8, channel: Channel) {
        for event in editor.type(byte, busy: busy) {
            switch event {
            case .echo(let text):
                write(channel, text)
            case .submit(let text):
                submit(text, channel: channel)
            case .interrupt:
                if busy { stop.set() } else { prompt(channel) }
            case .endOfInput:
                if busy { closeWhenIdle = true } else { finish(channel, status: 0) }
            case .complete:
                complete(channel)
            }
        }
    }

    /// Tab completes a command word, a service name, or `service.parameter`.
    private func complete(_ channel: Channel) {
        let (partial, isFirst) = editor.completionWord
        let candidates: [String]
        if isFirst {
            candidates = AgentConsole.groups.map(\.name) + ["help", "exit"]
        } else if let dot = partial.firstIndex(of: ".") {
            // Parameter names come from the running module, through the agent's loop: asked
            // from a thread of its own, so the event loop (every session) never waits on it.
            let service = String(partial[..<dot])
            let agent = self.agent
            let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
            completing = true
            spawnThread {
                let names = agent.handle.performIfRunning { supervisor in (try? supervisor.console.parameters(of: service))?.map { $0.parameter.name } ?? [] } ?? []
                channel.eventLoop.execute {
                    let session = handler.value
                    session.completing = false
                    session.applyCompletion(names.map { "\(service).\($0)" }, channel: channel)
                    let held = session.heldInput
                    session.heldInput = []
                    session.feed(held, channel: channel)
                    // The client's input ended meanwhile and nothing is left to run.
                    if session.closeWhenIdle, !session.busy, !session.completing { session.finish(channel, status: 0) }
                }
            }
            return
        } else {
            candidates = agent.handle.config.serviceOrder
        }
        applyCompletion(candidates, channel: channel)
    }

    private func applyCompletion(_ candidates: [String], channel: Channel) {
        for case .echo(let text) in editor.complete(candidates) { write(channel, text) }
    }

    private func prompt(_ channel: Channel) {
        if editor.echoes { write(channel, "midflight> ") }
    }

    private func submit(_ text: String, channel: Channel) {
        let trimmed = Substring(text).trimmingCharacters()
        if trimmed == "exit" || trimmed == "quit" {
            if busy { closeWhenIdle = true } else { finish(channel, status: 0) }
            return
        }
        editor.remember(trimmed)
        if busy {
            guard pending.count < ConsoleSessionHandler.maximumTypeAhead else {
                write(channel, "(busy: type-ahead is full, '\(trimmed)' dropped)\n")
                return
            }
            pending.append(trimmed)
            return
        }
        run(trimmed, channel: channel, then: .prompt)
    }

    enum After {
        case prompt
        case exit
    }

    /// Runs a console line on its own thread; output goes to the channel as it comes.
    private func run(_ command: String, channel: Channel, then after: After) {
        busy = true
        stop.reset()
        let agent = self.agent
        let pty = editor.echoes
        let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
        let stop = self.stop
        let budget = self.budget
        spawnThread {
            let context = CommandContext(
                backend: agent.handle.backend, allowsBoardSelection: false,
                output: { text in
                    let bytes = Array((pty ? (text + "\n").replacingNewlines() : text + "\n").utf8)
                    switch budget.reserve(bytes.count, stop: stop) {
                    case .granted:
                        break
                    case .stopped:
                        return
                    case .unread:
                        if budget.drop() {
                            stop.set()
                            agent.handle.log.add(
                                .warning,
                                "dropped an SSH client that stopped reading (\(budget.pending) bytes of output waiting for \(budget.patienceNanoseconds / 1_000_000_000) s)",
                                service: SSHServer.logSource)
                            (channel.parent ?? channel).close(promise: nil)
                        }
                        return
                    }
                    let promise = channel.eventLoop.makePromise(of: Void.self)
                    promise.futureResult.whenComplete { _ in budget.written(bytes.count) }
                    channel.writeAndFlush(SSHChannelData(type: .channel, data: .byteBuffer(SessionOutput.buffer(channel, bytes))), promise: promise)
                },
                shouldStop: { stop.isSet },
                sleep: { stop.sleep($0) })
            let status = AgentConsole.interpreter(context: context, agent: agent).execute(command)
            channel.eventLoop.execute {
                handler.value.finished(status: status, channel: channel, then: after)
            }
        }
    }

    private func finished(status: Int32, channel: Channel, then after: After) {
        busy = false
        switch after {
        case .exit:
            finish(channel, status: Int(status))
        case .prompt:
            if let next = pending.first {
                pending.removeFirst()
                run(next, channel: channel, then: .prompt)
            } else if closeWhenIdle {
                finish(channel, status: 0)
            } else {
                prompt(channel)
            }
        }
    }

    // MARK: Output

    private func write(_ channel: Channel, _ text: String, stderr: Bool = false) {
        SessionOutput.send(channel, editor.echoes ? text.replacingNewlines() : text, stderr: stderr)
    }

    private func finish(_ channel: Channel, status: Int) {
        // Once: the exit status is sent a single time.
        guard !ending else { return }
        ending = true
        SessionOutput.close(channel, status: status)
    }
}

extension String {
    /// A terminal needs CR LF.
    func replacingNewlines() -> String {
        var output = ""
        for character in self {
            if character == "\n" { output += "\r\n" } else { output.append(character) }
        }
        return output
    }
}
