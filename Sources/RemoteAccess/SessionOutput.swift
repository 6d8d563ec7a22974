import NIOCore
import NIOSSH

/// Writing to an SSH session channel: text on standard output or error, then the exit
/// status, which must follow the last output.
enum SessionOutput {
    static func buffer(_ channel: Channel, _ bytes: [UInt8]) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }

    static func send(_ channel: Channel, _ text: String, stderr: Bool = false) {
        let data = SSHChannelData(type: stderr ? .stdErr : .channel, data: .byteBuffer(buffer(channel, Array(text.utf8))))
        // From the tail: the child channel's head takes SSHChannelData.
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

    /// A refusal on standard error, then exit status 1.
    static func refuse(_ channel: Channel, _ reason: String) {
        send(channel, "refused: \(reason)\n", stderr: true)
        close(channel, status: 1)
    }
}
