import NIOCore
import NIOSSH
import Updates

/// The first handler of an SSH session channel: it answers the channel's requests and,
/// at the first shell, command or subsystem, puts the handler that serves it after itself
/// (`ConsoleSessionHandler`, `ModulePushHandler` or `FirmwareStreamHandler`) and passes
/// it the session's bytes from then on. One session serves one of them.
final class SessionRouter: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData
    typealias InboundOut = SSHChannelData

    private let agent: RunningAgent
    /// Whether the key this connection logged in with may have a terminal.
    private let allowsPty: @Sendable () -> Bool
    private var pty = false
    private var routed = false

    init(agent: RunningAgent, allowsPty: @escaping @Sendable () -> Bool = { true }) {
        self.agent = agent
        self.allowsPty = allowsPty
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // `ssh -s DEVICE module-push < file` sends EOF and then waits for the reply.
        context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).whenFailure { _ in }
    }

    private func reply(_ context: ChannelHandlerContext, _ wantReply: Bool, success: Bool) {
        guard wantReply else { return }
        let event: Any = success ? ChannelSuccessEvent() : ChannelFailureEvent()
        context.triggerUserOutboundEvent(event, promise: nil)
    }

    /// Serves the session with `handler`, unless it is served already.
    private func route(_ context: ChannelHandlerContext, _ wantReply: Bool, to handler: @autoclosure () -> any ChannelHandler) {
        guard !routed else {
            reply(context, wantReply, success: false)
            return
        }
        routed = true
        reply(context, wantReply, success: true)
        do {
            try context.pipeline.syncOperations.addHandler(handler(), position: .after(self))
        } catch {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let request as SSHChannelRequestEvent.PseudoTerminalRequest:
            // A key marked no-pty (or restrict) gets the console without a terminal.
            pty = allowsPty() && !routed
            reply(context, request.wantReply, success: pty)
        case let request as SSHChannelRequestEvent.ShellRequest:
            route(context, request.wantReply, to: ConsoleSessionHandler(agent: agent, start: .shell, pty: pty))
        case let request as SSHChannelRequestEvent.ExecRequest:
            // `ssh DEVICE module-push [OPTIONS] < bundle` works as the subsystem does: the
            // same command reaches `midflight-shell` behind a board's own sshd.
            if let upload = upload(request.command) {
                route(context, request.wantReply, to: upload)
            } else {
                route(context, request.wantReply, to: ConsoleSessionHandler(agent: agent, start: .command(request.command), pty: pty))
            }
        case let request as SSHChannelRequestEvent.SubsystemRequest:
            if let upload = upload(request.subsystem) {
                route(context, request.wantReply, to: upload)
            } else {
                // Refuse what we do not serve (sftp: scp will not work; use ssh -s).
                reply(context, request.wantReply, success: false)
                guard !routed else { return }
                routed = true
                SessionOutput.send(
                    context.channel, "unknown subsystem '\(request.subsystem)'; this device serves module-push and fwup\n", stderr: true)
                SessionOutput.close(context.channel, status: 1)
            }
        case let request as SSHChannelRequestEvent.EnvironmentRequest:
            reply(context, request.wantReply, success: true)
        case is SSHChannelRequestEvent.WindowChangeRequest:
            break
        default:
            // The end of input, among others, goes to the handler serving the session.
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The handler for `module-push [OPTIONS]` or `fwup [OPTIONS]`; nil for anything else.
    private func upload(_ command: String) -> (any ChannelHandler)? {
        let words = command.split(separator: " ").map(String.init)
        let allowDowngrade = words.contains("--allow-downgrade")
        switch words.first {
        case "module-push": return ModulePushHandler(agent: agent, allowDowngrade: allowDowngrade, wait: !words.contains("--no-wait"))
        case "fwup": return FirmwareStreamHandler(agent: agent, allowDowngrade: allowDowngrade, reboot: words.contains("--reboot"))
        default: return nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Before a request chose what serves the session, there is no one to read it.
        if routed { context.fireChannelRead(data) }
    }
}
