import NIOCore

/// Calls `onFirst` when the client's first bytes (its identification line) arrive.
final class FirstBytesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var onFirst: (() -> Void)?

    init(_ onFirst: @escaping () -> Void) {
        self.onFirst = onFirst
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onFirst?()
        onFirst = nil
        context.fireChannelRead(data)
    }
}
