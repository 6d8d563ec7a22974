import Bundles
import NIOCore
import NIOSSH
import Platform
import Updates

/// The `module-push` subsystem: a signed bundle on standard input, swapped in at its end
/// (off the event loop), then by default the probation verdict waited for; the outcome on
/// one line and exit status 0 only if the new version was kept.
final class ModulePushHandler: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData

    private let agent: RunningAgent
    private let allowDowngrade: Bool
    private let wait: Bool
    private var bundle: [UInt8] = []
    private var refused = false

    init(agent: RunningAgent, allowDowngrade: Bool, wait: Bool) {
        self.agent = agent
        self.allowDowngrade = allowDowngrade
        self.wait = wait
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard !refused, case .byteBuffer(let buffer) = message.data, case .channel = message.type else { return }
        bundle += buffer.readableBytesView
        if bundle.count > ModuleBundle.maximumSize {
            // The rest of the input is read and dropped.
            bundle = []
            refused = true
            SessionOutput.refuse(context.channel, "bundle is larger than the \(ModuleBundle.maximumSize)-byte limit")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else { return context.fireUserInboundEventTriggered(event) }
        guard !refused else { return }
        refused = true
        let (bundle, agent, wait, allowDowngrade, channel) = (self.bundle, self.agent, self.wait, self.allowDowngrade, context.channel)
        self.bundle = []
        spawnThread {
            // Off the loop thread: the push holds the agent's loop only for its switch.
            let outcome: (line: String, status: Int)
            do {
                // Swapped but not stored, or rolled back on probation, is not a success.
                let report = try agent.modulePush.push(bundle, allowDowngrade: allowDowngrade)
                let result = report.outcome(wait ? agent.handle.awaitProbation(of: report) : nil)
                outcome = (result.line, result.succeeded ? 0 : 1)
            } catch {
                outcome = ("refused: \(error)", 1)
            }
            channel.eventLoop.execute {
                SessionOutput.send(channel, outcome.line + "\n", stderr: outcome.status != 0)
                SessionOutput.close(channel, status: outcome.status)
            }
        }
    }
}
