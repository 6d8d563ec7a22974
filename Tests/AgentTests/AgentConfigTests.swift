import Agent
import Foundation
import Manifests
import Supervision
import Testing

@Suite struct AgentConfigTests {
    func problem(_ json: String) -> String? {
        do {
            _ = try AgentConfig.parse(Array(json.utf8), file: "etc/agent.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theShippedConfigsLoad() throws {
        let repository = ConsoleSession.repository.path
        let sim = try AgentConfig.load(repository + "/board/sim/agent.json")
        #expect(sim.serviceOrder == ["rtc", "button", "flow", "fan"])
        #expect(sim.services["fan"]?.inputs == ["rtc.temperature"])
        #expect(sim.services["rtc"]?.grants.clockSet == true)
        guard case .supervisor(let sensors) = sim.supervisor.children[1] else {
            Issue.record("sensors is not a nested supervisor")
            return
        }
        #expect(sensors.name == "sensors" && sensors.strategy == .oneForOne)
        let board = try AgentConfig.load(repository + "/rootfs-overlay/etc/midflight/agent.json")
        #expect(board.board == "raspberrypi4")
        #expect(board.moduleFolders == ["/usr/share/midflight/modules"])
    }

    static let tree = #""supervisor": {"strategy": "one_for_one", "children": ["a"]}"#

    @Test(arguments: [
        ("{", "etc/agent.json: not valid JSON"),
        (#"{"services": {}, "supervisor": {"strategy": "one_for_one", "children": []}}"#, "etc/agent.json: missing field \"board\""),
        ("{\"board\": \"sim\", \"services\": {\"a\": {\"module\": \"m\", \"i2c\": [\"i2c-1@0x78\"]}}, \(tree)}", "etc/agent.json: services.a.i2c[0]: address 0x78 is reserved"),
        ("{\"board\": \"sim\", \"services\": {\"a\": {\"module\": \"m\", \"gpio\": [\"17\"]}}, \(tree)}", "etc/agent.json: services.a.gpio[0]: '17' is not a GPIO grant"),
        ("{\"board\": \"sim\", \"services\": {\"a\": {\"module\": \"m\", \"restart\": \"sometimes\"}}, \(tree)}", "etc/agent.json: services.a.restart: expected permanent, transient or temporary, found \"sometimes\""),
        ("{\"board\": \"sim\", \"services\": {\"a\": {\"modul\": \"m\"}}, \(tree)}", "etc/agent.json: services.a: unknown field \"modul\""),
        ("{\"board\": \"sim\", \"services\": {\"a\": {}}, \(tree)}", "etc/agent.json: services.a: missing field \"module\""),
        ("{\"board\": \"sim\", \"services\": {\"A b\": {\"module\": \"m\"}}, \(tree)}", "etc/agent.json: services.A b: service names are lower-case"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_none", "children": ["a"]}}"#, "etc/agent.json: supervisor.strategy: expected one_for_one, one_for_all or rest_for_one"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "children": ["a", "b"]}}"#, "etc/agent.json: supervisor.children[1]: no service \"b\" in services"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}, "b": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "children": ["a"]}}"#, "etc/agent.json: supervisor: service \"b\" is not under any supervisor"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "children": ["a", "a"]}}"#, "etc/agent.json: supervisor: service \"a\" appears twice in the tree"),
        ("{\"board\": \"sim\", \"services\": {\"a\": {\"module\": \"m\", \"inputs\": [\"ghost.temperature\"]}}, \(tree)}", "etc/agent.json: services.a.inputs: \"ghost.temperature\" is not SERVICE.READING of a configured service"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "intensity": -1, "children": ["a"]}}"#, "etc/agent.json: supervisor.intensity: -1 is out of range"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "backoffMilliseconds": -5, "children": ["a"]}}"#, "etc/agent.json: supervisor.backoffMilliseconds: -5 is out of range"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "children": [{"name": "s", "strategy": "one_for_one", "backoffMilliseconds": 0, "children": ["a"]}]}}"#, "etc/agent.json: supervisor.children[0].backoffMilliseconds: only the top supervisor sets backoffMilliseconds"),
        (#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "children": [{"name": "root", "strategy": "one_for_one", "backoffMilliseconds": 0, "children": ["a"]}]}}"#, "etc/agent.json: supervisor.children[0].backoffMilliseconds: only the top supervisor sets backoffMilliseconds"),
    ])
    func refusesNamingFileServiceAndField(json: String, message: String) {
        let found = problem(json)
        #expect(found?.hasPrefix(message) == true, "\(found ?? "accepted")")
    }

    @Test func restartBackoffIsTheTopSupervisorsAndDefaultsTo100Milliseconds() throws {
        let plain = try AgentConfig.parse(Array("{\"board\": \"sim\", \"services\": {\"a\": {\"module\": \"m\"}}, \(Self.tree)}".utf8), file: "a.json")
        #expect(plain.restartBackoffMilliseconds == 100)
        let immediate = try AgentConfig.parse(
            Array(#"{"board": "sim", "services": {"a": {"module": "m"}}, "supervisor": {"strategy": "one_for_one", "backoffMilliseconds": 0, "children": ["a"]}}"#.utf8),
            file: "a.json")
        #expect(immediate.restartBackoffMilliseconds == 0)
        #expect(plain.services["a"]?.standby == false)
        let standby = try AgentConfig.parse(
            Array(#"{"board": "sim", "services": {"a": {"module": "m", "standby": true}}, "supervisor": {"strategy": "one_for_one", "children": ["a"]}}"#.utf8),
            file: "a.json")
        #expect(standby.services["a"]?.standby == true)
        #expect(problem(#"{"board": "sim", "services": {"a": {"module": "m", "standby": "yes"}}, "supervisor": {"strategy": "one_for_one", "children": ["a"]}}"#)?.hasPrefix("etc/agent.json: services.a.standby: expected") == true)
    }
}

@Suite struct DataStoreTests {
    func scratch() throws -> DataStore {
        try DataStore(root: NSTemporaryDirectory() + "midflight-store-\(getpid())-\(UUID().uuidString.prefix(8))")
    }

    @Test func parametersPersistAndKeepDroppedNames() throws {
        let store = try scratch()
        try store.setParameter("window_s", 3, of: "flow")
        try store.setParameter("old_name", 1.5, of: "flow")
        let again = try DataStore(root: store.root)
        #expect(again.parameters(of: "flow") == ["window_s": 3, "old_name": 1.5])
        #expect(again.parameters(of: "nobody").isEmpty)
    }

    @Test func writesAreAtomicAndLeaveNoTemporaryFile() throws {
        let store = try scratch()
        let path = store.root + "/file"
        try DataStore.writeAtomically(Array("one".utf8), to: path)
        try DataStore.writeAtomically(Array("two".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        #expect(throws: DataStore.Failure.self) { try DataStore.writeAtomically([1], to: "/nonexistent/dir/file") }
    }

    @Test func staleTemporaryFilesAreRemovedAtStartButNotALiveWritersOnes() throws {
        let store = try scratch()
        try FileManager.default.createDirectory(atPath: store.root + "/modules/threshold", withIntermediateDirectories: true)
        let stale = store.root + "/modules/threshold/1.1.2.wasm.tmp-999999-1"
        let live = store.root + "/params/fan.json.tmp-1-7"  // pid 1 runs
        let kept = store.root + "/modules/threshold/1.1.2.wasm"
        for path in [stale, live, kept] { #expect(FileManager.default.createFile(atPath: path, contents: Data([1]))) }
        #expect(store.removeStaleTemporaries() == [stale])
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: live) && FileManager.default.fileExists(atPath: kept))
    }

    @Test func aVersionGivenUpOnLeavesNoFileBehind() throws {
        let store = try scratch()
        let manifest = { (version: String) in
            try ModuleManifest.parse(Array(#"{"name": "m", "version": "\#(version)", "abi": 1}"#.utf8), file: "m")
        }
        for version in ["1.0.0", "1.1.0", "1.2.0"] {
            _ = try store.install([1], manifest: try manifest(version))
            try store.activate("m", version: try #require(SemanticVersion(version)))
        }
        // 1.1.0 is active again later too: only what is nowhere in the history goes.
        try store.activate("m", version: .init(1, 1, 0))
        _ = try store.install([1], manifest: try manifest("1.3.0"))
        try store.activate("m", version: .init(1, 3, 0))
        try store.revert("m", to: .init(1, 1, 0))
        #expect(store.history(of: "m").map(\.description) == ["1.0.0", "1.1.0", "1.2.0", "1.1.0"])
        #expect(store.storedVersions(of: "m").map(\.description) == ["1.2.0", "1.1.0", "1.0.0"])
        try store.revert("m", to: .init(1, 0, 0))
        #expect(store.storedVersions(of: "m").map(\.description) == ["1.0.0"])
    }

    @Test func moduleHistoryRecordsActivations() throws {
        let store = try scratch()
        #expect(store.history(of: "m").isEmpty)
        try store.activate("m", version: .init(1, 0, 0))
        try store.activate("m", version: .init(1, 1, 0))
        #expect(store.history(of: "m").map(\.description) == ["1.0.0", "1.1.0"])
        #expect(store.installed("m", version: .init(1, 0, 0)) == nil)
    }

    @Test func anUnwritableDataDirectoryIsRefused() {
        #expect(throws: DataStore.Failure.self) { try DataStore(root: "/proc/midflight-cannot-be-here") }
    }
}
