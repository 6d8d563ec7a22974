import Firmware
import NIOCore
import NIOSSH
import Updates

/// The `fwup` subsystem: a firmware bundle streamed straight into the other slot, written
/// by a `FirmwareUpload` off the event loop with backpressure on the channel; the outcome
/// on one line, and with `--reboot` a reboot into the new slot once committed.
final class FirmwareStreamHandler: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData

    enum State {
        case starting
        case streaming(FirmwareUpload)
        /// Refused or committed: the rest of the input is read and dropped.
        case over
    }

    private let agent: RunningAgent
    private let allowDowngrade: Bool
    private let reboot: Bool
    private var state = State.starting

    init(agent: RunningAgent, allowDowngrade: Bool, reboot: Bool) {
        self.agent = agent
        self.allowDowngrade = allowDowngrade
        self.reboot = reboot
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let firmware = agent.firmware else {
            state = .over
            return SessionOutput.refuse(context.channel, "this board has no firmware slots")
        }
        do {
            let installer = try firmware.beginInstall(allowDowngrade: allowDowngrade)
            state = .streaming(FirmwareUpload(installer: installer, firmware: firmware))
        } catch {
            state = .over
            SessionOutput.refuse(context.channel, error.description)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A push cut off mid-stream (client killed, network gone) must not hold the install lock.
        if case .streaming(let upload) = state {
            state = .over
            upload.abandon()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard case .streaming(let upload) = state, case .byteBuffer(let buffer) = message.data, case .channel = message.type else { return }
        // Written on the upload's worker, never here: a slow slot must not hold the event
        // loop. Memory stays bounded: past the limit the channel stops reading, so the
        // sender is slowed down (TCP backpressure) instead of queued for.
        let (channel, bound) = (context.channel, NIOLoopBound(self, eventLoop: context.eventLoop))
        let waiting = upload.feed(Array(buffer.readableBytesView)) { outcome in
            channel.eventLoop.execute { bound.value.uploaded(outcome, channel: channel) }
        }
        if waiting > FirmwareUpload.pendingLimit { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else { return context.fireUserInboundEventTriggered(event) }
        guard case .streaming(let upload) = state else { return }
        // Verify, sync and read back on the upload's worker; the answer comes back here.
        let (channel, bound) = (context.channel, NIOLoopBound(self, eventLoop: context.eventLoop))
        upload.finish { outcome in channel.eventLoop.execute { bound.value.uploaded(outcome, channel: channel) } }
    }

    /// What the upload's worker did with the stream, on the event loop.
    private func uploaded(_ outcome: FirmwareUpload.Outcome, channel: Channel) {
        guard case .streaming = state else { return }
        switch outcome {
        case .written(let pending):
            if pending <= FirmwareUpload.pendingLimit / 2 {
                channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                channel.read()
            }
        case .refused(let reason):
            state = .over
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            SessionOutput.refuse(channel, reason)
        case .committed(let line):
            state = .over
            SessionOutput.send(channel, line + "\n")
            SessionOutput.close(channel, status: 0)
            if reboot, let action = agent.reboot { action("fwup --reboot") }
        }
    }
}
