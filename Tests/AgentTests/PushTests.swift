import Bundles
import Crypto
import Foundation
import Manifests
import ModuleABI
import Testing

/// `module push` of signed bundles through the agent's console: accepted when signed by a
/// trusted key and fitting the grants; every refusal leaves the running module untouched.
@Suite(.serialized) struct PushTests {
    let key = Curve25519.Signing.PrivateKey()
    let folder: String = {
        let path = NSTemporaryDirectory() + "midflight-push-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path + "/trusted", withIntermediateDirectories: true)
        return path
    }()

    func session() throws -> ConsoleSession {
        try SigningKeys.publicText(key.publicKey, comment: "test").write(toFile: folder + "/trusted/test.pub", atomically: true, encoding: .utf8)
        return try ConsoleSession(arguments: ["--simulate", "--data-dir", folder + "/data-\(UUID().uuidString.prefix(6))", "--trusted-keys", folder + "/trusted"])
    }

    /// A module's wasm with its embedded manifest replaced.
    func withManifest(_ wasm: [UInt8], _ edit: (String) -> String) throws -> [UInt8] {
        let manifest = String(decoding: try #require(try WasmBinary.customSection(ModuleABI.manifestSection, in: wasm)), as: UTF8.self)
        let stripped = try WasmBinary.removingCustomSection(ModuleABI.manifestSection, from: wasm)
        return WasmBinary.appendingCustomSection(ModuleABI.manifestSection, payload: Array(edit(manifest).utf8), to: stripped)
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func v2() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try FixtureModules.path("pulse-counter-v2"))))
    }

    @Test func aTrustedBundleIsSwappedIn() throws {
        let console = try session()
        defer { console.finish() }
        let bundle = try write(try ModuleBundle.create(wasm: try v2(), key: key), "v2.mfb")
        #expect(console.run("module push \(bundle)", until: "state migrated").contains("pulse-counter 1.0.0 → 1.1.0: swapped 1 service"))
    }

    @Test func refusalsLeaveTheRunningModuleUntouched() throws {
        let console = try session()
        defer { console.finish() }
        let good = try ModuleBundle.create(wasm: try v2(), key: key)
        var flipped = good
        flipped[flipped.count - 100] ^= 0x20
        let stranger = try ModuleBundle.create(wasm: try v2(), key: Curve25519.Signing.PrivateKey())
        let abi3 = try ModuleBundle.create(wasm: try withManifest(try v2()) { $0.replacingOccurrences(of: #""abi":2"#, with: #""abi":3"#) }, key: key)
        let escalating = try ModuleBundle.create(
            wasm: try withManifest(try v2()) { $0.replacingOccurrences(of: #""capabilities":{"#, with: #""capabilities":{"i2c":[{"role":"spy"}],"#) }, key: key)
        let cases: [(String, [UInt8], String)] = [
            ("unsigned", try v2(), "not a Midflight bundle (bad magic)"),
            ("untrusted", stranger, "signed by unknown key"),
            ("flipped", flipped, "bad signature"),
            ("truncated", Array(good.prefix(good.count / 2)), "truncated bundle"),
            ("abi3", abi3, "was built for module ABI 3; this agent runs ABI 1 to 2"),
            ("escalating", escalating, "needs 1 I2C device(s) (spy) but service flow is granted 0"),
        ]
        for (name, bytes, message) in cases {
            let output = console.run("module push \(try write(bytes, name + ".mfb"))", until: "error")
            #expect(output.contains(message), "\(name): \(output)")
        }
        #expect(console.run("modules", until: "threshold").contains("pulse-counter  1.0.0"))
        #expect(console.run("status flow", until: "restarts").contains("flow: pulse-counter 1.0.0, running"))
        #expect(console.run("log -n 20", until: "refused").contains("refused a pushed bundle"))
    }

    @Test func aDowngradeNeedsToBeAskedForAndIsLogged() throws {
        let console = try session()
        defer { console.finish() }
        let newer = try write(try ModuleBundle.create(wasm: try v2(), key: key), "newer.mfb")
        let older = try write(
            try ModuleBundle.create(
                wasm: Array(try Data(contentsOf: ConsoleSession.repository.appendingPathComponent("rootfs-overlay/usr/share/midflight/modules/pulse-counter-1.0.0.wasm"))),
                key: key), "older.mfb")
        _ = console.run("module push \(newer)", until: "state migrated")
        #expect(console.run("module push \(older)", until: "error").contains("is not newer than the running 1.1.0 (a downgrade needs --allow-downgrade)"))
        // 1.0.0 cannot read 1.1.0's state layout: the explicit downgrade starts it fresh, and says so.
        #expect(console.run("module push \(older) --allow-downgrade", until: "swapped").contains("1.1.0 → 1.0.0: swapped 1 service"))
        #expect(console.waitFor("downgrade allowed for pulse-counter 1.0.0", in: \.stderr, timeout: 5) != nil)
    }

    @Test func aModuleWithAnEmptyCustomSectionIsRefusedAndTheAgentLives() throws {
        let console = try session()
        defer { console.finish() }
        let good = try v2()
        // Two bytes after the header: a custom section with no name, signed by a trusted key.
        let hostile = Array(good.prefix(8)) + [0x00, 0x00] + Array(good.dropFirst(8))
        var unsigned = ModuleBundle.magic + [ModuleBundle.format, ModuleBundle.moduleKind]
        unsigned += ModuleBundle.hexBytes(SigningKeys.id(of: key.publicKey))
        let manifest = try #require(try WasmBinary.customSection(ModuleABI.manifestSection, in: good))
        unsigned += ModuleBundle.littleEndian(UInt32(manifest.count)) + ModuleBundle.littleEndian(UInt32(hostile.count)) + manifest + hostile
        let bundle = unsigned + Array(try key.signature(for: unsigned))
        #expect(console.run("module push \(try write(bundle, "hostile.mfb"))", until: "error").contains("malformed wasm at byte 10"))
        #expect(console.run("module load pulse-counter \(try write(hostile, "hostile.wasm"))", until: "error").contains("malformed wasm"))
        #expect(console.run("services", until: "fan").contains("flow     pulse-counter  1.0.0    running"))
    }

    @Test func aSwapThatCannotBeStoredFailsTheCommand() throws {
        let data = folder + "/data-unstorable"
        try SigningKeys.publicText(key.publicKey, comment: "test").write(toFile: folder + "/trusted/test.pub", atomically: true, encoding: .utf8)
        let console = try ConsoleSession(arguments: ["--simulate", "--data-dir", data, "--trusted-keys", folder + "/trusted"])
        defer { console.finish() }
        _ = console.run("services", until: "fan")
        // The module's folder on the data partition cannot be written: a file stands in its place.
        try? FileManager.default.removeItem(atPath: data + "/modules/pulse-counter")
        #expect(FileManager.default.createFile(atPath: data + "/modules/pulse-counter", contents: Data("x".utf8)))
        let bundle = try write(try ModuleBundle.create(wasm: try v2(), key: key), "unstorable.mfb")
        let output = console.run("module push \(bundle)", until: "NOT STORED")
        #expect(output.contains("error: pulse-counter 1.0.0 → 1.1.0: swapped 1 service"), "\(output)")
    }
}
