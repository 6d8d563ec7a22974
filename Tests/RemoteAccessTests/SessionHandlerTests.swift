import Agent
import Bundles
import Foundation
import NIOCore
import NIOEmbedded
import NIOSSH
@testable import RemoteAccess
import SimulatedHardware
import Testing
import Updates

/// The SSH session handler in memory, the way swift-nio tests its handlers: requests and
/// bytes go in through a testing channel, and what the session writes comes out of it.
@Suite struct SessionHandlerTests {
    /// An agent with no services on an empty simulated board, no firmware slots.
    func agent() throws -> RunningAgent {
        let folder = NSTemporaryDirectory() + "midflight-session-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json = #"{ "board": "empty", "modules": [], "services": {}, "supervisor": { "strategy": "one_for_one", "children": [] } }"#
        let board = SimulatedBoard(SimulatedBoardSpec(name: "empty", buses: [], chips: []))
        let handle = AgentHandle(
            config: try AgentConfig.parse(Array(json.utf8), file: folder + "/agent.json"), backend: board,
            time: SimulatedSystemTime(clock: board.clock, synchronized: true), store: try DataStore(root: folder + "/data"),
            log: LogBook(echo: { _ in }))
        handle.start()
        return RunningAgent(
            handle: handle, modulePush: ModulePush(handle: handle, trustedKeys: TrustStore(keys: [])), firmware: nil, watchdog: nil, reboot: nil)
    }

    /// A session channel on `agent`, with its requests made in order.
    func session(_ agent: RunningAgent, allowsPty: Bool = true, before: [UInt8] = [], request: any Sendable...) async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel()
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(SessionRouter(agent: agent, allowsPty: { allowsPty }))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 22)).get()
        if !before.isEmpty { try await channel.writeInbound(bytes(before)) }
        for event in request { channel.pipeline.fireUserInboundEventTriggered(event) }
        return channel
    }

    static let terminal = SSHChannelRequestEvent.PseudoTerminalRequest(
        wantReply: false, term: "xterm", terminalCharacterWidth: 80, terminalRowHeight: 24, terminalPixelWidth: 0,
        terminalPixelHeight: 0, terminalModes: SSHTerminalModes([:]))

    /// Everything the session writes until it closes: standard output and standard error.
    func output(of channel: NIOAsyncTestingChannel) async throws -> (out: String, err: String) {
        var (out, err) = ("", "")
        // Until it closes: generous, for a machine busy with other tests (it returns at the close).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            // Whether it had closed before this read: what it wrote before closing is all read then.
            let closed = !channel.isActive
            if let data = try await channel.readOutbound(as: SSHChannelData.self), case .byteBuffer(let buffer) = data.data {
                let text = String(buffer: buffer)
                if data.type == .channel { out += text } else { err += text }
                continue
            }
            if closed { break }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return (out, err)
    }

    static func subsystem(_ name: String) -> SSHChannelRequestEvent.SubsystemRequest {
        SSHChannelRequestEvent.SubsystemRequest(subsystem: name, wantReply: false)
    }

    func bytes(_ values: [UInt8]) -> SSHChannelData {
        SSHChannelData(type: .channel, data: .byteBuffer(ByteBuffer(bytes: values)))
    }

    @Test func anExecRequestRunsOneCommandAndCloses() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        let channel = try await session(agent, request: SSHChannelRequestEvent.ExecRequest(command: "services", wantReply: false))
        let (out, err) = try await output(of: channel)
        #expect(out.hasPrefix("SERVICE  MODULE  VERSION  STATE  HEALTH  RESTARTS  DETAIL"), "\(out) \(err)")
        #expect(!channel.isActive)
    }

    @Test func aTerminalSessionEchoesEditsRecallsHistoryAndLeavesOnCtrlD() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        let channel = try await session(agent, request: Self.terminal, SSHChannelRequestEvent.ShellRequest(wantReply: false))
        // A typo erased with Ctrl-U, a command, then ↑ Enter runs it again, and Ctrl-D leaves;
        // each key sent once the prompt is back, as a person types.
        var out = ""
        func read(until count: Int, of text: String) async throws {
            let deadline = Date().addingTimeInterval(60)
            while out.components(separatedBy: text).count <= count, Date() < deadline {
                if let data = try await channel.readOutbound(as: SSHChannelData.self), case .byteBuffer(let buffer) = data.data {
                    out += String(buffer: buffer)
                } else {
                    try await Task.sleep(nanoseconds: 10_000_000)
                }
            }
        }
        try await read(until: 1, of: "midflight> ")
        try await channel.writeInbound(bytes(Array("nonsense\u{15}time\r".utf8)))
        try await read(until: 2, of: "midflight> ")
        try await channel.writeInbound(bytes(Array("\u{1B}[A\r".utf8)))
        try await read(until: 3, of: "midflight> ")
        try await channel.writeInbound(bytes([0x04]))
        out += try await output(of: channel).out
        #expect(out.hasPrefix("Midflight console on empty. Type help; Ctrl-D leaves.\r\nmidflight> "), "\(out)")
        #expect(!out.contains("unknown command"), "\(out)")
        #expect(out.components(separatedBy: "this command needs").count == 1, "\(out)")
        #expect(out.components(separatedBy: "(Unix s)").count == 3, "time ran twice: \(out)")
        #expect(!channel.isActive)
    }

    @Test func aPushOfBytesThatAreNoBundleIsRefusedWithTheReason() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        let channel = try await session(agent, request: Self.subsystem("module-push"))
        try await channel.writeInbound(bytes([UInt8](repeating: 0x78, count: 300)))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let (out, err) = try await output(of: channel)
        #expect(err.contains("refused: not a Midflight bundle (bad magic)"), "\(out) \(err)")
    }

    @Test func aPushLargerThanABundleMayBeIsRefusedBeforeItEnds() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        let channel = try await session(agent, request: Self.subsystem("module-push"))
        let chunk = [UInt8](repeating: 0x41, count: 1 << 20)
        for _ in 0..<9 where channel.isActive { try await channel.writeInbound(bytes(chunk)) }
        let (_, err) = try await output(of: channel)
        #expect(err.contains("refused: bundle is larger than the"), "\(err)")
    }

    @Test func fwupOnABoardWithoutSlotsAndUnknownSubsystemsAreRefused() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        let fwup = try await session(agent, request: Self.subsystem("fwup"))
        #expect(try await output(of: fwup).err.contains("refused: this board has no firmware slots"))
        let sftp = try await session(agent, request: Self.subsystem("sftp"))
        #expect(try await output(of: sftp).err.contains("unknown subsystem 'sftp'; this device serves module-push and fwup"))
    }

    @Test func aSessionServesItsFirstRequestOnlyAndDropsBytesSentBeforeIt() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        // Bytes before any request are nobody's; a subsystem asked for after the command is refused.
        let channel = try await session(
            agent, before: Array("fwup\n".utf8), request: SSHChannelRequestEvent.ExecRequest(command: "time", wantReply: false),
            Self.subsystem("fwup"))
        let (out, err) = try await output(of: channel)
        #expect(out.contains("(Unix s)"), "\(out) \(err)")
        #expect(!err.contains("firmware"), "\(err)")
        #expect(!channel.isActive)
    }

    @Test func aKeyWithoutATerminalGetsTheConsoleWithoutEchoOrPrompt() async throws {
        let agent = try agent()
        defer { agent.handle.shutdown() }
        let channel = try await session(agent, allowsPty: false, request: Self.terminal, SSHChannelRequestEvent.ShellRequest(wantReply: false))
        try await channel.writeInbound(bytes(Array("time\n".utf8)))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let (out, _) = try await output(of: channel)
        #expect(out.hasPrefix("Midflight console on empty. Type help; Ctrl-D leaves.\n"), "\(out)")
        #expect(out.contains("(Unix s)"), "\(out)")
        // No terminal: no prompt, no echo of what was typed, plain newlines.
        #expect(!out.contains("midflight> ") && !out.contains("\r\n") && !out.contains("time\n"), "\(out)")
    }
}
