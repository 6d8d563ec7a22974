import Boards
import Bundles
import Crypto
import Firmware
import Foundation
import JSON
import Manifests
import ModuleABI
import ModuleRuntime
import Testing

/// Every parser of untrusted bytes, fed mutations of a committed corpus
/// (`Tests/FuzzTests/Corpus/TARGET`) for a fixed budget: each input must parse or be
/// refused with the parser's typed error. A trap kills the test process, which fails the run.
///
/// Budget and seed: `MIDFLIGHT_FUZZ_ITERATIONS` (inputs per target, default 4000),
/// `MIDFLIGHT_FUZZ_SEED` (default 1). CI runs the defaults, so a failure reproduces.
@Suite struct ParserFuzzTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
    static let iterations = Int(ProcessInfo.processInfo.environment["MIDFLIGHT_FUZZ_ITERATIONS"] ?? "") ?? 4000
    static let seed = UInt64(ProcessInfo.processInfo.environment["MIDFLIGHT_FUZZ_SEED"] ?? "") ?? 1
    /// The corpus bundles' signing key (a fixed test seed, trusted only by these tests).
    static let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
    static let trusted = TrustStore(keys: [key.publicKey])

    static func seeds(_ target: String) throws -> [[UInt8]] {
        let folder = corpus.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let seeds = try names.map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
        try #require(!seeds.isEmpty, "no corpus for \(target)")
        return seeds
    }

    /// Runs `body` on every seed as it is, then on `budget` mutations of them.
    static func fuzz(_ target: String, salt: UInt64, budget: Int = iterations, _ body: ([UInt8]) -> Void) throws {
        let seeds = try seeds(target)
        for seed in seeds { body(seed) }
        var mutator = Mutator(seed: seed ^ salt)
        for _ in 0..<budget {
            body(mutator.mutate(seeds[mutator.below(seeds.count)]))
        }
    }

    /// A module bundle around `body` (manifest and wasm as they are), signed by the test key,
    /// so that mutations reach what is parsed after the signature check.
    static func resigned(_ bundle: [UInt8]) -> [UInt8] {
        guard bundle.count > ModuleBundle.signatureSize else { return bundle }
        let body = Array(bundle.dropLast(ModuleBundle.signatureSize))
        return body + Array(try! key.signature(for: body))
    }

    @Test func wasmSections() throws {
        var parsed = 0
        try Self.fuzz("wasm", salt: 1) { bytes in
            do {
                _ = try WasmBinary.sections(of: bytes)
                _ = try WasmBinary.memories(of: bytes)
                _ = try WasmBinary.customSection(ModuleABI.manifestSection, in: bytes)
                _ = try WasmBinary.removingCustomSection(ModuleABI.manifestSection, from: bytes)
                parsed += 1
            } catch {
                #expect(error is WasmBinary.Malformed)
            }
        }
        #expect(parsed > 0)
    }

    @Test func theEmptyCustomSectionIsRefusedNotATrap() throws {
        let module = Array(try Data(contentsOf: Self.corpus.appendingPathComponent("wasm/threshold-1.0.0.wasm")))
        let hostile = Array(module.prefix(8)) + [0x00, 0x00] + Array(module.dropFirst(8))
        #expect(throws: WasmBinary.Malformed.self) { try WasmBinary.customSection(ModuleABI.manifestSection, in: hostile) }
        #expect(throws: ModuleBundle.Refusal.self) { try ModuleBundle.create(wasm: hostile, key: Self.key) }
    }

    @Test func moduleArtifacts() throws {
        let engine = ModuleEngine()
        // WasmKit's parser and validator behind our checks: fewer inputs, each costs a parse.
        try Self.fuzz("wasm", salt: 2, budget: Self.iterations / 4) { bytes in
            do {
                _ = try ModuleArtifact(bytes: bytes, source: "fuzz", engine: engine)
            } catch {
                #expect(error is ModuleRefusal, "\(error)")
            }
        }
    }

    @Test func moduleBundles() throws {
        try Self.fuzz("module-bundle", salt: 3) { bytes in
            for candidate in [bytes, Self.resigned(bytes)] {
                do {
                    _ = try ModuleBundle.verify(candidate, trusted: Self.trusted)
                } catch {
                    #expect(error is ModuleBundle.Refusal, "\(error)")
                }
            }
        }
    }

    @Test func moduleManifests() throws {
        try Self.fuzz("module-manifest", salt: 4) { bytes in
            do {
                _ = try ModuleManifest.parse(bytes, file: "fuzz")
            } catch {
                #expect(error is JSONReader.Problem, "\(error)")
            }
        }
    }

    @Test func json() throws {
        try Self.fuzz("json", salt: 5) { bytes in
            do {
                _ = try JSONParser.parse(bytes)
            } catch {
                #expect(error is JSONSyntaxError, "\(error)")
            }
        }
    }

    @Test func boardFiles() throws {
        try Self.fuzz("board", salt: 6) { bytes in
            do {
                _ = try BoardFileParser.parse(bytes, file: "board.json", folder: "/nonexistent")
            } catch {
                #expect(error is JSONReader.Problem, "\(error)")
            }
        }
    }

    @Test func firmwareManifests() throws {
        try Self.fuzz("firmware-manifest", salt: 7) { bytes in
            do {
                _ = try FirmwareManifest.parse(bytes)
            } catch {
                #expect(error is FirmwareRefusal, "\(error)")
            }
        }
    }

    @Test func firmwareStreams() throws {
        var chunks = Mutator(seed: Self.seed ^ 8)
        try Self.fuzz("firmware-bundle", salt: 8) { bytes in
            for candidate in [bytes, Self.resignedFirmware(bytes)] {
                var stream = FirmwareStream(trusted: Self.trusted)
                do {
                    var rest = candidate[...]
                    while !rest.isEmpty {
                        let take = 1 + chunks.below(min(rest.count, 4096))
                        _ = try stream.feed(rest.prefix(take))
                        rest = rest.dropFirst(take)
                    }
                    try stream.finish()
                } catch {
                    #expect(error is FirmwareRefusal, "\(error)")
                }
            }
        }
    }

    /// A firmware bundle with its header and manifest signed again, the images as they are.
    static func resignedFirmware(_ bundle: [UInt8]) -> [UInt8] {
        guard bundle.count >= FirmwareBundle.headerSize else { return bundle }
        let length = Int(ModuleBundle.readUInt32(bundle, FirmwareBundle.headerSize - 4))
        let signedEnd = FirmwareBundle.headerSize + length
        guard signedEnd + FirmwareBundle.signatureSize <= bundle.count else { return bundle }
        let signed = Array(bundle[0..<signedEnd])
        return signed + Array(try! key.signature(for: signed)) + Array(bundle[(signedEnd + FirmwareBundle.signatureSize)...])
    }

    @Test func firmwareJournals() throws {
        let folder = NSTemporaryDirectory() + "midflight-fuzz-journal-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.fuzz("journal", salt: 9, budget: Self.iterations / 4) { bytes in
            _ = FileManager.default.createFile(atPath: folder + "/journal.json", contents: Data(bytes))
            do {
                _ = try FirmwareJournal.load(folder + "/journal.json")
            } catch {
                #expect(error is FirmwareRefusal, "\(error)")
            }
        }
    }

    @Test func tarArchives() throws {
        let folder = NSTemporaryDirectory() + "midflight-fuzz-tar-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.fuzz("tar", salt: 10, budget: Self.iterations / 8) { bytes in
            _ = FileManager.default.createFile(atPath: folder + "/image.tar", contents: Data(bytes))
            do {
                let written = try TarArchive.extract(from: try BlockFile(path: folder + "/image.tar", writable: false), to: folder + "/out")
                // Whatever was written stays inside the destination.
                for path in written { #expect(!path.hasPrefix("/") && !path.split(separator: "/").contains("..")) }
            } catch {
                #expect(error is FirmwareRefusal, "\(error)")
            }
        }
    }

    /// Boot environment copies: one mutated beside an intact one, then mended and read. The
    /// mend reads CRCs and flags itself; libubootenv reads the rest.
    @Test func bootEnvironmentCopies() throws {
        let folder = NSTemporaryDirectory() + "midflight-fuzz-env-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try EnvironmentImage.createFileBacked(in: folder, size: 0x4000, initial: BootVariables.factory(version: "1.0.0"))
        let intact = try Self.seeds("env").first { $0.count == 0x4000 }!
        var which = Mutator(seed: Self.seed ^ 11)
        try Self.fuzz("env", salt: 12, budget: Self.iterations / 8) { bytes in
            let damaged = which.below(2)
            for (index, name) in ["uboot.env", "uboot-redund.env"].enumerated() {
                _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(index == damaged ? bytes : intact))
            }
            let environment = UBootEnvironment(configPath: config)
            // Whatever the damage, the intact copy is read after the mend.
            do {
                _ = try environment.repair()
                #expect(try environment.variables()["boot_slot"] != nil)
            } catch {
                Issue.record("one intact copy, yet: \(error)")
            }
        }
    }

    /// Writes the generated seeds (signed bundles, a journal, an archive) into the corpus:
    /// `MIDFLIGHT_FUZZ_WRITE_CORPUS=1 swift test --filter writeGeneratedSeeds`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MIDFLIGHT_FUZZ_WRITE_CORPUS"] == "1"))
    func writeGeneratedSeeds() throws {
        func write(_ bytes: [UInt8], _ path: String) throws {
            try Data(bytes).write(to: Self.corpus.appendingPathComponent(path))
        }
        let wasm = Array(try Data(contentsOf: Self.corpus.appendingPathComponent("wasm/threshold-1.0.0.wasm")))
        try write(try ModuleBundle.create(wasm: wasm, key: Self.key), "module-bundle/threshold-1.0.0.mfb")

        let folder = NSTemporaryDirectory() + "midflight-fuzz-seeds-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder + "/root/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("midflight 1.1.0\n".utf8).write(to: URL(fileURLWithPath: folder + "/root/etc/version"))
        try TarArchive.pack(folder: folder + "/root", to: folder + "/rootfs.tar")
        try write(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/rootfs.tar"))), "tar/rootfs.tar")
        // A firmware image of three small blocks' worth: big enough to have a payload, small for a seed.
        try Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: folder + "/image"))
        let manifest = try FirmwareBundle.create(
            imagePath: folder + "/image", outputPath: folder + "/image.fw", compatible: ["sim"], version: SemanticVersion(1, 1, 0),
            securityVersion: 1, minimumAgentVersion: SemanticVersion(0, 1, 0), key: Self.key)
        try write(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/image.fw"))), "firmware-bundle/small.fw")
        try write(manifest.serialized, "firmware-manifest/small.json")
        let journal = FirmwareJournal(
            pending: .init(slot: .b, version: "1.1.0"), trialFailure: "rtc unhealthy",
            last: .init(result: .reverted, slot: .a, version: "1.0.0", reason: "the bootloader fell back"))
        try write(try EnvironmentImage.make(BootVariables.factory(version: "1.0.0"), size: 0x4000, redundant: true, flags: 1), "env/uboot.env")
        try journal.save(folder + "/journal.json")
        try write(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/journal.json"))), "journal/journal.json")
    }
}
