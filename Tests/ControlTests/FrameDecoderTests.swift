import ControlProtocol
import Testing

@Suite struct FrameDecoderTests {
    @Test func framesComeOutWholeHoweverTheBytesAreSplit() throws {
        let frames = [ControlFrame(.hello, text: ControlFrame.greeting), ControlFrame(.data, [UInt8](repeating: 7, count: 70_000)), ControlFrame(.end)]
        let bytes = frames.flatMap(\.encoded)
        for piece in [1, 3, 4096, bytes.count] {
            var decoder = FrameDecoder()
            var decoded: [ControlFrame] = []
            var offset = 0
            while offset < bytes.count {
                decoder.append(bytes[offset..<min(offset + piece, bytes.count)])
                offset += piece
                while let frame = try decoder.next() { decoded.append(frame) }
            }
            #expect(decoded == frames, "pieces of \(piece)")
            #expect(decoder.pending == 0)
        }
    }

    @Test func anUnknownKindOrAnOversizedLengthIsRefusedBeforeItsPayload() {
        var unknown = FrameDecoder()
        unknown.append([0xEE, 0, 0, 0, 1, 0x41])
        #expect(throws: ControlProtocolError.unknownKind(0xEE)) { _ = try unknown.next() }
        var oversized = FrameDecoder()
        // Only the header: the length alone refuses it, nothing waits for 4 GiB.
        oversized.append([ControlFrame.Kind.data.rawValue, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ControlProtocolError.oversized(0xFFFF_FFFF)) { _ = try oversized.next() }
        var justOver = FrameDecoder()
        justOver.append(ControlFrame(.data, [UInt8](repeating: 0, count: ControlFrame.maximumPayload)).encoded.prefix(5))
        #expect(throws: Never.self) { _ = try justOver.next() }
    }

    @Test func aHeaderWithoutItsPayloadWaits() throws {
        var decoder = FrameDecoder()
        decoder.append(ControlFrame(.run, text: "services").encoded.dropLast())
        #expect(try decoder.next() == nil)
        decoder.append(Array("s".utf8))
        #expect(try decoder.next() == ControlFrame(.run, text: "services"))
    }
}

@Suite struct PeerAccessTests {
    @Test func rootTheAgentsUserAndTheGroupMayConnectNoOneElse() {
        let agentUID: UInt32 = 998
        let group: UInt32 = 997
        #expect(PeerCredentials(pid: 1, uid: 0, gid: 0).isAllowed(agentUID: agentUID, group: group, memberOf: [0]))
        #expect(PeerCredentials(pid: 1, uid: 998, gid: 998).isAllowed(agentUID: agentUID, group: group, memberOf: [998]))
        #expect(PeerCredentials(pid: 1, uid: 1000, gid: 1000).isAllowed(agentUID: agentUID, group: group, memberOf: [1000, 997]))
        #expect(!PeerCredentials(pid: 1, uid: 1000, gid: 1000).isAllowed(agentUID: agentUID, group: group, memberOf: [1000, 27]))
        // Without a midflight group on the system, only root and the agent's user.
        #expect(!PeerCredentials(pid: 1, uid: 1000, gid: 1000).isAllowed(agentUID: agentUID, group: nil, memberOf: [1000, 997]))
    }
}
