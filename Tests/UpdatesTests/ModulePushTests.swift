import Agent
import Bundles
import Crypto
import Foundation
import SimulatedHardware
import Testing
import Updates

/// A push is refused at the bundle, before the agent is asked, when its key is not trusted
/// (a key trusted later works), and says which refusal it was.
@Suite struct ModulePushTests {
    func agent() throws -> AgentHandle {
        let folder = NSTemporaryDirectory() + "midflight-push-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json = #"{ "board": "sim", "modules": [], "services": {}, "supervisor": { "strategy": "one_for_one", "children": [] } }"#
        let board = SimulatedBoard(SimulatedBoardSpec(name: "sim", buses: [], chips: []))
        return AgentHandle(
            config: try AgentConfig.parse(Array(json.utf8), file: folder + "/agent.json"), backend: board,
            time: SimulatedSystemTime(clock: board.clock), store: try DataStore(root: folder + "/data"), log: LogBook(echo: { _ in }))
    }

    @Test func untrustedKeysAreRefusedAtTheBundleAndANewTrustStoreAppliesAtOnce() throws {
        let handle = try agent()
        handle.start()
        defer { handle.shutdown() }
        let key = Curve25519.Signing.PrivateKey()
        // The shipped RTC module; no service runs it here, so the swap itself is refused.
        var repository = #filePath
        for _ in 0..<3 { repository = String(repository[..<repository.lastIndex(of: "/")!]) }
        let wasm = Array(try Data(contentsOf: URL(fileURLWithPath: repository + "/rootfs-overlay/usr/share/midflight/modules/rtc-1.1.0.wasm")))
        let bundle = try ModuleBundle.create(wasm: wasm, key: key)
        let push = ModulePush(handle: handle, trustedKeys: TrustStore(keys: []))
        #expect {
            try push.push(bundle, allowDowngrade: false)
        } throws: { error in
            guard case PushRefusal.bundle(let refusal)? = error as? PushRefusal else { return false }
            return refusal.description.contains("signed by unknown key")
        }
        push.replaceTrustedKeys(TrustStore(keys: [key.publicKey]))
        #expect(push.trustedKeys.ids.count == 1)
        #expect {
            try push.push(bundle, allowDowngrade: false)
        } throws: { error in
            // Past the signature now: the agent refuses the swap itself.
            guard case PushRefusal.swap(.noService(let module))? = error as? PushRefusal else { return false }
            return module == "rtc"
        }
    }
}
