#if canImport(Glibc)
import Glibc
#endif
import Agent
import Bundles
import ControlProtocol
import ControlServer
import Foundation
import SimulatedHardware
import Testing
import Updates

/// The control socket with a real agent behind it and real Unix-domain connections:
/// consoles, uploads, and every kind of bad client.
@Suite struct ControlServerTests {
    struct Fixture {
        let agent: RunningAgent
        let server: ControlServer
        let path: String

        func finish() {
            server.shutdown()
            agent.handle.shutdown()
        }
    }

    /// An agent with no services on an empty simulated board, no firmware slots, and its socket.
    func fixture(sendTimeoutSeconds: Int = 10) throws -> Fixture {
        let folder = NSTemporaryDirectory() + "mf-control-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json = #"{ "board": "empty", "modules": [], "services": {}, "supervisor": { "strategy": "one_for_one", "children": [] } }"#
        let board = SimulatedBoard(SimulatedBoardSpec(name: "empty", buses: [], chips: []))
        let handle = AgentHandle(
            config: try AgentConfig.parse(Array(json.utf8), file: folder + "/agent.json"), backend: board,
            time: SimulatedSystemTime(clock: board.clock, synchronized: true), store: try DataStore(root: folder + "/data"),
            log: LogBook(echo: { _ in }))
        handle.start()
        let agent = RunningAgent(
            handle: handle, modulePush: ModulePush(handle: handle, trustedKeys: TrustStore(keys: [])), firmware: nil, watchdog: nil, reboot: nil)
        let path = folder + "/control"
        return Fixture(agent: agent, server: try ControlServer(path: path, agent: agent, sendTimeoutSeconds: sendTimeoutSeconds), path: path)
    }

    /// Runs `line` and collects what it wrote.
    func run(_ client: ControlClient, _ line: String) throws -> (status: Int32, out: String, err: String) {
        var (out, err) = ("", "")
        let status = try client.run(line) { kind, bytes in
            if kind == .output { out += String(decoding: bytes, as: UTF8.self) } else { err += String(decoding: bytes, as: UTF8.self) }
        }
        return (status, out, err)
    }

    func upload(_ client: ControlClient, _ kind: ControlFrame.Kind, _ bytes: [UInt8], options: String = "") throws -> (status: Int32, err: String) {
        // The feeding thread may still write when the upload was refused and its pipe closed.
        signal(SIGPIPE, SIG_IGN)
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        let writer = pipe[1]
        let feeding = Thread {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(writer, $0.baseAddress, min($0.count, 65_536)) }
                if written <= 0 { break }
                offset += written
            }
            Glibc.close(writer)
        }
        feeding.start()
        defer { Glibc.close(pipe[0]) }
        var err = ""
        let status = try client.upload(kind, options: options, from: pipe[0]) { kind, bytes in
            if kind == .error { err += String(decoding: bytes, as: UTF8.self) }
        }
        return (status, err)
    }

    @Test func aConsoleRunsCommandsOneAfterAnotherWithTheirExitStatus() throws {
        let fixture = try fixture()
        defer { fixture.finish() }
        let client = try ControlClient(path: fixture.path)
        #expect(client.banner.first == "Midflight console on empty. Type help; Ctrl-D leaves.")
        let services = try run(client, "services")
        #expect(services.status == 0 && services.out.hasPrefix("SERVICE  MODULE  VERSION  STATE  HEALTH  RESTARTS  DETAIL"), "\(services)")
        let unknown = try run(client, "nonsense")
        #expect(unknown.status == 2 && unknown.out.contains("unknown command 'nonsense'"), "\(unknown)")
        let refused = try run(client, "status nope")
        #expect(refused.status == 1 && refused.out.contains("no service 'nope'"), "\(refused)")
        // The socket is 0660 and the peer was logged.
        var status = stat()
        #expect(stat(fixture.path, &status) == 0 && status.st_mode & 0o777 == 0o660)
        #expect(fixture.agent.handle.log.last(50).contains { $0.line.contains("connection from uid \(getuid())") })
    }

    @Test func ctrlCStopsAFollowingCommandAndTheConsoleGoesOn() throws {
        let fixture = try fixture()
        defer { fixture.finish() }
        let raw = try ControlConnection.connect(to: fixture.path)
        try raw.send(.hello, text: ControlFrame.greeting)
        #expect(try raw.receive().kind == .welcome)
        try raw.send(.run, text: "log -f")
        Thread.sleep(forTimeInterval: 0.5)
        try raw.send(ControlFrame(.interrupt))
        var exit: String?
        while exit == nil {
            let frame = try raw.receive(timeoutMilliseconds: 10_000)
            if frame.kind == .exit { exit = frame.text }
        }
        #expect(exit == "0")
        try raw.send(.run, text: "services")
        var next: ControlFrame
        repeat { next = try raw.receive(timeoutMilliseconds: 10_000) } while next.kind != .exit
        #expect(next.text == "0")
    }

    @Test func pushesAndFirmwareAreRefusedWithTheReasonAndTheConnectionGoesOn() throws {
        let fixture = try fixture()
        defer { fixture.finish() }
        let client = try ControlClient(path: fixture.path)
        let garbage = try upload(client, .push, [UInt8](repeating: 0x78, count: 300))
        #expect(garbage.status == 1 && garbage.err == "refused: not a Midflight bundle (bad magic)\n", "\(garbage)")
        let firmware = try upload(client, .firmware, [UInt8](repeating: 0, count: 200_000), options: "--reboot")
        #expect(firmware.status == 1 && firmware.err == "refused: this board has no firmware slots\n", "\(firmware)")
        #expect(try run(client, "services").status == 0)
    }

    @Test func aBundleLargerThanTheLimitIsRefusedPartWay() throws {
        let fixture = try fixture()
        defer { fixture.finish() }
        let client = try ControlClient(path: fixture.path)
        let huge = try upload(client, .push, [UInt8](repeating: 0x41, count: ModuleBundle.maximumSize + 200_000))
        #expect(huge.status == 1 && huge.err.contains("refused: bundle is larger than the"), "\(huge)")
        // Only that connection closed.
        #expect(try run(try ControlClient(path: fixture.path), "services").status == 0)
    }

    @Test func garbageAWrongVersionAndFramesOutOfTurnCloseThatConnectionOnly() throws {
        let fixture = try fixture()
        defer { fixture.finish() }
        func refusal(_ bytes: [UInt8]) throws -> String {
            let raw = try ControlConnection.connect(to: fixture.path)
            defer { raw.close() }
            _ = bytes.withUnsafeBytes { send(raw.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var said = ""
            while let frame = try? raw.receive(timeoutMilliseconds: 5000) {
                if frame.kind == .refused { said = frame.text }
            }
            return said
        }
        #expect(try refusal(Array("GET / HTTP/1.1\r\n\r\n".utf8)) == "unknown frame kind 71")
        #expect(try refusal(ControlFrame(.hello, text: "midflight-control 9").encoded).hasPrefix("not the control protocol this side speaks"))
        #expect(try refusal([ControlFrame.Kind.hello.rawValue, 0x7F, 0, 0, 0]).hasPrefix("a frame of 2130706432 bytes is larger"))
        let outOfTurn = ControlFrame(.hello, text: ControlFrame.greeting).encoded + ControlFrame(.data, [1, 2, 3]).encoded
        #expect(try refusal(outOfTurn) == "unexpected data frame (expected run, push or firmware)")
        #expect(fixture.agent.handle.log.last(50).contains { $0.line.contains("closed the connection of uid") })
        // The core and the other connections are untouched.
        #expect(try run(try ControlClient(path: fixture.path), "services").status == 0)
    }

    @Test func aClientThatStopsReadingIsDisconnectedAfterTheBound() throws {
        let fixture = try fixture(sendTimeoutSeconds: 1)
        defer { fixture.finish() }
        let raw = try ControlConnection.connect(to: fixture.path)
        try raw.send(.hello, text: ControlFrame.greeting)
        _ = try raw.receive()
        try raw.send(.run, text: "log -f")
        // Far more log than a socket buffers, and the client reads none of it.
        let log = fixture.agent.handle.log
        let text = String(repeating: "x", count: 400)
        for round in 0..<40 {
            for source in 0..<40 { log.add(.info, "\(round) \(text)", service: "s\(source)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // Dropped: what was sent is read, then the end; nothing more was kept for it.
        var frames = 0
        var ended = false
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            do {
                _ = try raw.receive(timeoutMilliseconds: 2000)
                frames += 1
            } catch {
                ended = error == .closed(midFrame: false) || error == .closed(midFrame: true)
                break
            }
        }
        #expect(ended && frames < 1600, "\(frames) frames")
        // Said in the log (by the session's thread, a moment after the connection ended).
        var said = false
        var tries = 0
        while !said, tries < 200 {
            said = fixture.agent.handle.log.last(250, service: "control").contains { $0.message.hasPrefix("dropped uid") }
            if !said { Thread.sleep(forTimeInterval: 0.05) }
            tries += 1
        }
        #expect(said, "dropped and said so")
        #expect(try run(try ControlClient(path: fixture.path), "services").status == 0)
    }
}
