#if canImport(Glibc)
import Glibc
#endif
import Agent
import AgentCommands
import Bundles
import Firmware
import HardwareCommands
import NIOCore
import NIOSSH
import Platform
import Synchronization
import Updates

/// One SSH session channel: an interactive console (with a pty: echo, line editing,
/// Ctrl-C, Ctrl-D), a one-shot command (`ssh DEVICE 'services'`), or the `module-push`
/// subsystem (a signed bundle on standard input). Console commands run on their own
/// thread, never on the event loop.
final class SessionHandler: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData

    enum Mode {
        case idle
        case shell
        case push(allowDowngrade: Bool, wait: Bool)
        /// `fwup`: a firmware bundle streamed straight into the other slot.
        case firmware(FirmwareUpload, reboot: Bool)
        /// After a refusal: the rest of the input is read and dropped.
        case draining
        case exec
    }

    static let maximumTypeAhead = 32

    private let agent: RunningAgent
    private var mode = Mode.idle
    private var editor = LineEditor(echoes: false)
    private var pending: [String] = []
    private var busy = false
    /// A completion is being looked up; keys typed meanwhile wait in `heldInput`.
    private var completing = false
    private var heldInput: [UInt8] = []
    /// Ctrl-D or end of input arrived while a command ran: leave once the queue is done.
    private var closeWhenIdle = false
    /// The session is ending (its exit status is on its way).
    private var ending = false
    private var pushed: [UInt8] = []
    private let stop = StopFlag()
    /// What this session's commands have written and SSH has not taken yet.
    let budget: OutputBudget

    /// Whether the key this connection logged in with may have a terminal.
    private let allowsPty: @Sendable () -> Bool

    init(agent: RunningAgent, budget: OutputBudget = OutputBudget(), allowsPty: @escaping @Sendable () -> Bool = { true }) {
        self.agent = agent
        self.budget = budget
        self.allowsPty = allowsPty
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // `ssh -s DEVICE module-push < file` sends EOF and then waits for the reply.
        context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).whenFailure { _ in }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A push cut off mid-stream (client killed, network gone) must not hold the install lock.
        if case .firmware(let upload, _) = mode {
            mode = .idle
            upload.abandon()
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ wantReply: Bool, success: Bool) {
        guard wantReply else { return }
        let event: Any = success ? ChannelSuccessEvent() : ChannelFailureEvent()
        context.triggerUserOutboundEvent(event, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let request as SSHChannelRequestEvent.PseudoTerminalRequest:
            // A key marked no-pty (or restrict) gets the console without a terminal.
            guard allowsPty() else {
                reply(context, request.wantReply, success: false)
                return
            }
            editor.echoes = true
            reply(context, request.wantReply, success: true)
        case let request as SSHChannelRequestEvent.ShellRequest:
            mode = .shell
            reply(context, request.wantReply, success: true)
            write(context.channel, "Midflight console on \(agent.handle.config.board). Type help; Ctrl-D leaves.\n")
            if let firmware = agent.firmware { write(context.channel, firmware.banner() + "\n") }
            for problem in agent.handle.dataProblems.withLock({ $0 }) { write(context.channel, "stored state: \(problem)\n") }
            prompt(context.channel)
        case let request as SSHChannelRequestEvent.ExecRequest:
            mode = .exec
            reply(context, request.wantReply, success: true)
            run(request.command, channel: context.channel, then: .exit)
        case let request as SSHChannelRequestEvent.SubsystemRequest:
            let words = request.subsystem.split(separator: " ").map(String.init)
            if words.first == "module-push" {
                mode = .push(allowDowngrade: words.contains("--allow-downgrade"), wait: !words.contains("--no-wait"))
                reply(context, request.wantReply, success: true)
            } else if words.first == "fwup" {
                reply(context, request.wantReply, success: true)
                guard let firmware = agent.firmware else {
                    mode = .draining
                    write(context.channel, "refused: this board has no firmware slots\n", stderr: true)
                    finish(context.channel, status: 1)
                    return
                }
                do {
                    let installer = try firmware.beginInstall(allowDowngrade: words.contains("--allow-downgrade"))
                    mode = .firmware(FirmwareUpload(installer: installer, firmware: firmware), reboot: words.contains("--reboot"))
                } catch {
                    mode = .draining
                    write(context.channel, "refused: \(error)\n", stderr: true)
                    finish(context.channel, status: 1)
                }
            } else {
                // Refuse what we do not serve (sftp: scp will not work; use ssh -s).
                reply(context, request.wantReply, success: false)
                write(context.channel, "unknown subsystem '\(request.subsystem)'; this device serves module-push and fwup\n", stderr: true)
                finish(context.channel, status: 1)
            }
        case let request as SSHChannelRequestEvent.EnvironmentRequest:
            reply(context, request.wantReply, success: true)
        case is SSHChannelRequestEvent.WindowChangeRequest:
            break
        case ChannelEvent.inputClosed:
            switch mode {
            case .push(let allowDowngrade, let wait):
                let bundle = pushed
                pushed = []
                let agent = self.agent
                let channel = context.channel
                spawnThread {
                    // Off the loop thread: the push holds the loop only for its switch.
                    let outcome: (String, Int)
                    do {
                        // Swapped but not stored, or rolled back on probation, is not a success.
                        let report = try agent.modulePush.push(bundle, allowDowngrade: allowDowngrade)
                        let result = report.outcome(wait ? agent.handle.awaitProbation(of: report) : nil)
                        outcome = (result.line, result.succeeded ? 0 : 1)
                    } catch {
                        outcome = ("refused: \(error)", 1)
                    }
                    let loop = channel.eventLoop
                    loop.execute {
                        SessionHandler.send(channel, outcome.0 + "\n", stderr: outcome.1 != 0)
                        SessionHandler.close(channel, status: outcome.1)
                    }
                }
            case .firmware(let upload, _):
                // Verify, sync and read back on the upload's worker; the answer comes back here.
                let (channel, bound) = (context.channel, NIOLoopBound(self, eventLoop: context.eventLoop))
                upload.finish { outcome in channel.eventLoop.execute { bound.value.uploaded(outcome, channel: channel) } }
            case .shell:
                // Typed-ahead input held behind a completion still runs before the session ends.
                if busy || completing { closeWhenIdle = true } else { finish(context.channel, status: 0) }
            default:
                break
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard case .byteBuffer(var buffer) = message.data, case .channel = message.type else { return }
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        switch mode {
        case .push:
            pushed += bytes
            if pushed.count > ModuleBundle.maximumSize {
                pushed = []
                mode = .idle
                write(context.channel, "refused: bundle is larger than the \(ModuleBundle.maximumSize)-byte limit\n", stderr: true)
                finish(context.channel, status: 1)
            }
        case .firmware(let upload, _):
            // Written on the upload's worker, never here: a slow slot must not hold the event
            // loop. Memory stays bounded: past the limit the channel stops reading, so the
            // sender is slowed down (TCP backpressure) instead of queued for.
            let (channel, bound) = (context.channel, NIOLoopBound(self, eventLoop: context.eventLoop))
            let waiting = upload.feed(bytes) { outcome in channel.eventLoop.execute { bound.value.uploaded(outcome, channel: channel) } }
            if waiting > FirmwareUpload.pendingLimit { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
        case .shell:
            feed(bytes, channel: context.channel)
        default:
            break
        }
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
            candidates = agentConsoleGroups.map(\.name) + ["help", "exit"]
        } else if let dot = partial.firstIndex(of: ".") {
            // Parameter names come from the running module, through the agent's loop: asked
            // from a thread of its own, so the event loop (every session) never waits on it.
            let service = String(partial[..<dot])
            let agent = self.agent
            let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
            completing = true
            spawnThread {
                let names = agent.handle.performIfRunning { supervisor in (try? supervisor.parameters(of: service))?.map { $0.parameter.name } ?? [] } ?? []
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
            guard pending.count < SessionHandler.maximumTypeAhead else {
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
                    channel.writeAndFlush(SSHChannelData(type: .channel, data: .byteBuffer(SessionHandler.buffer(channel, bytes))), promise: promise)
                },
                shouldStop: { stop.isSet },
                sleep: { nanoseconds in
                    var slept: UInt64 = 0
                    while slept < nanoseconds, !stop.isSet {
                        let step = min(nanoseconds - slept, 50_000_000)
                        var spec = timespec(tv_sec: 0, tv_nsec: Int(step))
                        nanosleep(&spec, nil)
                        slept += step
                    }
                },
                agent: agent)
            let status = ConsoleInterpreter(context: context, groups: agentConsoleGroups).execute(command)
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

    /// What the firmware upload's worker did with the stream, on the event loop.
    private func uploaded(_ outcome: FirmwareUpload.Outcome, channel: Channel) {
        guard case .firmware(_, let reboot) = mode else { return }
        switch outcome {
        case .written(let pending):
            if pending <= FirmwareUpload.pendingLimit / 2 {
                channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                channel.read()
            }
        case .refused(let reason):
            mode = .draining
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            write(channel, "refused: \(reason)\n", stderr: true)
            finish(channel, status: 1)
        case .committed(let line):
            mode = .idle
            write(channel, line + "\n")
            finish(channel, status: 0)
            if reboot, let action = agent.reboot { action("fwup --reboot") }
        }
    }

    private func write(_ channel: Channel, _ text: String, stderr: Bool = false) {
        SessionHandler.send(channel, editor.echoes ? text.replacingNewlines() : text, stderr: stderr)
    }

    private func finish(_ channel: Channel, status: Int) {
        // Once: the exit status is sent a single time.
        guard !ending else { return }
        ending = true
        SessionHandler.close(channel, status: status)
    }

    static func buffer(_ channel: Channel, _ bytes: [UInt8]) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }

    static func send(_ channel: Channel, _ text: String, stderr: Bool = false) {
        let data = SSHChannelData(type: stderr ? .stdErr : .channel, data: .byteBuffer(buffer(channel, Array(text.utf8))))
        // Past our own handler: the child channel's head takes SSHChannelData.
        channel.writeAndFlush(data, promise: nil)
    }

    /// The exit status goes after the last output is written, or it would overtake it.
    static func close(_ channel: Channel, status: Int) {
        let flushed = channel.writeAndFlush(SSHChannelData(type: .channel, data: .byteBuffer(buffer(channel, []))))
        flushed.whenComplete { _ in
            channel.triggerUserOutboundEvent(SSHChannelRequestEvent.ExitStatus(exitStatus: status)).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}

/// Ctrl-C of a session, set on the event loop and read by the command's thread.
final class StopFlag: Sendable {
    private let flag = Atomic(false)

    func set() { flag.store(true, ordering: .releasing) }
    func reset() { flag.store(false, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
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
