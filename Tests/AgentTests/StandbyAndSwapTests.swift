import Agent
import Boards
import Foundation
import Hardware
import SimulatedHardware
import Testing

/// The agent in process, on a small simulated board: warm standbys (made off the loop
/// thread, matched to the exact artifact, given up when the service stops), swaps that hold
/// the loop only for their switch, and calls that crash on probation.
@Suite(.serialized) struct StandbyAndSwapTests {
    struct Fixture {
        let runtime: AgentHandle
        let board: SimulatedBoard
        let folder: String
    }

    /// Services `c0`, `c1` of bench-counter 1.0.0 (its call handler crashes on 0xFF) on
    /// lines c0, c1; `c1` without a standby.
    func agent() throws -> Fixture {
        let folder = NSTemporaryDirectory() + "midflight-standby-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/modules", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try FixtureModules.path("counter-v1"), toPath: folder + "/modules/bench-counter-1.0.0.wasm")
        let json = """
            { "board": "bench", "modules": ["\(folder)/modules"],
              "services": { "c0": { "module": "bench-counter", "gpio": ["gpiochip0:c0"], "standby": true },
                            "c1": { "module": "bench-counter", "gpio": ["gpiochip0:c1"] } },
              "supervisor": { "strategy": "one_for_one", "intensity": 100, "periodSeconds": 1, "backoffMilliseconds": 0,
                              "children": ["c0", "c1"] } }
            """
        let board = SimulatedBoard(
            SimulatedBoardSpec(
                name: "bench", buses: [],
                chips: [.init(name: "gpiochip0", label: "bench", lineCount: 2, lines: [.init(offset: 0, name: "c0"), .init(offset: 1, name: "c1")])]))
        let runtime = AgentHandle(
            config: try AgentConfig.parse(Array(json.utf8), file: folder + "/agent.json"), backend: board,
            time: SimulatedSystemTime(clock: board.clock, synchronized: true), store: try DataStore(root: folder + "/data"),
            log: LogBook(echo: { _ in }))
        runtime.start()
        return Fixture(runtime: runtime, board: board, folder: folder)
    }

    @Test func theLoopIsLiveUntilSomethingHoldsIt() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        #expect(eventually { fixture.runtime.isLive() })
        // Something holds the loop thread (nothing a module can do, with its budget): the
        // watchdog's feeder sees it within the stall limit, without waiting on the loop.
        let held = Thread { fixture.runtime.perform { _ in Thread.sleep(forTimeInterval: 1.5) } }
        held.start()
        #expect(eventually { !fixture.runtime.isLive(stallNanoseconds: 500_000_000) })
        #expect(eventually { fixture.runtime.isLive(stallNanoseconds: 500_000_000) })
    }

    func summary(_ runtime: AgentHandle, _ name: String) -> ServiceSummary? {
        runtime.perform { try? $0.console.serviceSummary(name) }
    }

    /// Polls `condition` for up to five seconds.
    func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    func call(_ runtime: AgentHandle, _ name: String, _ request: [UInt8]) -> Result<[UInt8], AgentRefusal> {
        runtime.perform { runtime in Result { () throws(AgentRefusal) -> [UInt8] in try runtime.console.call(name, request: request) } }
    }

    /// bench-counter 2.0.0, which reads 1.0.0's state.
    func counterV2() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try FixtureModules.path("counter-v2"))))
    }

    func log(_ runtime: AgentHandle) -> String {
        runtime.log.last(200).map(\.line).joined(separator: "\n")
    }

    @Test func aRestartTakesTheWarmStandbyAndAnotherIsMade() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        let runtime = fixture.runtime
        #expect(eventually { summary(runtime, "c0")?.standby == "1.0.0" })
        // c1 did not ask for one.
        #expect(summary(runtime, "c1")?.standby == nil)
        guard case .failure(let crash) = call(runtime, "c0", [0xFF]) else {
            Issue.record("the crash call was answered")
            return
        }
        #expect(crash.kind == .serviceFailed)
        #expect(crash.description.contains("c0 crashed handling the call"), "\(crash)")
        #expect(crash.description.contains("bench-counter 1.0.0 crashed in call"), "\(crash)")
        #expect(eventually { summary(runtime, "c0")?.state == "running" })
        #expect(log(runtime).contains("c0: started bench-counter 1.0.0 from its warm standby"), "\(log(runtime))")
        #expect(eventually { summary(runtime, "c0")?.standby == "1.0.0" })
        // The instance taken from the standby works: it answers with its count.
        guard case .success(let reply) = call(runtime, "c0", [0]) else {
            Issue.record("the restarted service does not answer")
            return
        }
        #expect(reply.count == 8)
        // Without a standby a restart instantiates.
        guard case .failure = call(runtime, "c1", [0xFF]) else {
            Issue.record("c1's crash call was answered")
            return
        }
        #expect(eventually { summary(runtime, "c1")?.state == "running" && summary(runtime, "c1")?.restarts == 1 })
        let starts = runtime.log.last(200, service: "c1").map(\.message).filter { $0.hasPrefix("started bench-counter 1.0.0") }
        #expect(starts == ["started bench-counter 1.0.0", "started bench-counter 1.0.0"], "\(starts)")
    }

    @Test func consoleRefusalsSayWhatKindOfProblemTheyAre() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        let runtime = fixture.runtime
        func refusal(_ body: @escaping @Sendable (ConsoleRequests) throws(AgentRefusal) -> Void) -> AgentRefusal? {
            let outcome = runtime.perform { supervisor in Result { () throws(AgentRefusal) in try body(supervisor.console) } }
            guard case .failure(let refusal) = outcome else { return nil }
            return refusal
        }
        let unknown = refusal { requests throws(AgentRefusal) in try requests.stop("nope") }
        #expect(unknown?.kind == .unknownName)
        #expect(unknown?.description.hasPrefix("no service 'nope' (services: ") == true, "\(String(describing: unknown))")
        #expect(refusal { requests throws(AgentRefusal) in try requests.start("c0") }?.kind == .wrongState)
        #expect(refusal { requests throws(AgentRefusal) in _ = try requests.getParameter("c0", "nope") }?.kind == .unknownName)
        #expect(refusal { requests throws(AgentRefusal) in _ = try requests.setParameter("c0", "nope", "1") }?.kind == .unknownName)
        #expect(refusal { requests throws(AgentRefusal) in try requests.stop("c0") } == nil)
        #expect(refusal { requests throws(AgentRefusal) in _ = try requests.call("c0", request: [0]) }?.kind == .wrongState)
        #expect((try? runtime.moduleHistory("nope")) == nil)
        do {
            _ = try runtime.moduleHistory("nope")
        } catch {
            #expect(error.kind == .unknownName)
        }
    }

    @Test func aStoppedServiceGivesUpItsStandbyAndGetsOneWhenStartedAgain() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        let runtime = fixture.runtime
        #expect(eventually { summary(runtime, "c0")?.standby != nil })
        let stopped = runtime.perform { runtime in Result { () throws(AgentRefusal) in try runtime.console.stop("c0") } }
        #expect((try? stopped.get()) != nil)
        #expect(summary(runtime, "c0")?.standby == nil)
        #expect(summary(runtime, "c0")?.state == "stopped")
        // Still none a while later: nothing made for a stopped service is kept.
        Thread.sleep(forTimeInterval: 0.2)
        #expect(summary(runtime, "c0")?.standby == nil)
        let started = runtime.perform { runtime in Result { () throws(AgentRefusal) in try runtime.console.start("c0") } }
        #expect((try? started.get()) != nil)
        #expect(eventually { summary(runtime, "c0")?.standby == "1.0.0" })
    }

    @Test func aSwapHoldsTheLoopOnlyForItsSwitchAndRenewsTheStandby() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        let runtime = fixture.runtime
        #expect(eventually { summary(runtime, "c0")?.standby == "1.0.0" })
        let v2 = try counterV2()
        let report = try runtime.load(module: "bench-counter", bytes: v2, source: "counter-v2.wasm", allowDowngrade: false)
        #expect(report.services == ["c0", "c1"])
        #expect(report.stateMigrated)
        #expect(report.description.contains("bench-counter 1.0.0 → 2.0.0: swapped 2 services in "))
        #expect(report.description.contains(" (loop held "))
        // The 1.0.0 standby is outdated: only one of 2.0.0 may take its place.
        #expect(summary(runtime, "c0")?.standby != "1.0.0")
        #expect(eventually { summary(runtime, "c0")?.standby == "2.0.0" })
        #expect(summary(runtime, "c0")?.version == "2.0.0")
        // A refusal (not newer) leaves everything as it was, standby included.
        #expect(throws: SwapRefusal.self) {
            try runtime.load(module: "bench-counter", bytes: v2, source: "counter-v2.wasm", allowDowngrade: false)
        }
        #expect(summary(runtime, "c0")?.standby == "2.0.0")
        #expect(runtime.perform { $0.console.moduleSummaries() }.first?.version == "2.0.0")
    }

    @Test func refusedSwapsSayWhyAsValuesAndLeaveTheRunningVersion() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        let runtime = fixture.runtime
        let v1 = Array(try Data(contentsOf: URL(fileURLWithPath: try FixtureModules.path("counter-v1"))))
        #expect {
            try runtime.load(module: "bench-counter", bytes: v1, source: "v1", allowDowngrade: false)
        } throws: { error in
            guard case SwapRefusal.notNewer(let module, let version, let running)? = error as? SwapRefusal else { return false }
            return module == "bench-counter" && version == running
        }
        #expect {
            try runtime.load(module: "other", bytes: v1, source: "v1.wasm", allowDowngrade: false)
        } throws: { error in
            guard case SwapRefusal.otherModule(_, let holds, let expected)? = error as? SwapRefusal else { return false }
            return holds == "bench-counter" && expected == "other"
        }
        #expect {
            try runtime.load(module: "bench-counter", bytes: [0, 0x61, 0x73, 0x6D], source: "junk", allowDowngrade: false)
        } throws: { error in
            if case SwapRefusal.invalidModule? = error as? SwapRefusal { return true }
            return false
        }
        #expect {
            try runtime.rollbackFromConsole("bench-counter")
        } throws: { error in
            if case SwapRefusal.noEarlierVersion("bench-counter")? = error as? SwapRefusal { return true }
            return false
        }
        #expect(runtime.perform { $0.console.moduleSummaries() }.first?.version == "1.0.0")
    }

    @Test func aCallThatCrashesOnProbationSaysItRolledBack() throws {
        let fixture = try agent()
        defer { fixture.runtime.shutdown() }
        let runtime = fixture.runtime
        #expect(eventually { summary(runtime, "c0")?.standby == "1.0.0" })
        let v2 = try counterV2()
        _ = try runtime.load(module: "bench-counter", bytes: v2, source: "counter-v2.wasm", allowDowngrade: false)
        // Best with the 2.0.0 standby made (the rollback must then replace it with a 1.0.0
        // one), but not waited for past the 2 s probation on a loaded machine.
        for _ in 0..<100 where summary(runtime, "c0")?.standby != "2.0.0" { Thread.sleep(forTimeInterval: 0.005) }
        guard case .failure(let crash) = call(runtime, "c0", [0xFF]) else {
            Issue.record("the crash call was answered")
            return
        }
        #expect(crash.description.contains("rolled back to bench-counter 1.0.0"), "\(crash)")
        // Both services went back to their 1.0.0 instances, kept intact: no restart.
        #expect(summary(runtime, "c0")?.version == "1.0.0")
        #expect(summary(runtime, "c1")?.version == "1.0.0")
        #expect(summary(runtime, "c0")?.restarts == 0)
        #expect(summary(runtime, "c0")?.state == "running")
        // And a standby of the version running again is made.
        #expect(eventually { summary(runtime, "c0")?.standby == "1.0.0" })
        // The history's revert is queued behind the swap's record: 1.0.0 is active again.
        let history = Result { () throws(AgentRefusal) in ModuleHistoryEntry.lines(try runtime.moduleHistory("bench-counter")) }
        #expect((try? history.get())?.first == "1.0.0  active", "\(history)")
        #expect((try? history.get())?.last?.hasPrefix("2.0.0  rolled back: on probation: bench-counter 2.0.0 crashed in call") == true, "\(history)")
        guard case .success(let reply) = call(runtime, "c0", [0]) else {
            Issue.record("the rolled-back service does not answer")
            return
        }
        #expect(reply.count == 8)
    }

    @Test func aSwapAfterShutdownIsRefusedAndStoresNothing() throws {
        let fixture = try agent()
        fixture.runtime.shutdown()
        let v2 = try counterV2()
        #expect {
            try fixture.runtime.load(module: "bench-counter", bytes: v2, source: "counter-v2.wasm", allowDowngrade: false)
        } throws: { error in
            "\(error)".contains("the agent is stopping; bench-counter was not swapped")
        }
        // Nothing else reaches the stopped loop either, and a second stop only waits.
        #expect(fixture.runtime.performIfRunning { _ in true } == nil)
        fixture.runtime.shutdown()
    }
}
