import Boards
import Foundation
import Manifests
import ModuleABI
import ModuleRuntime
import Platform

/// Builds a module directory (manifest.json + Swift sources) into a `.wasm` with the
/// manifest embedded, using the Swift toolchain's Embedded Swift support for wasm32.
public struct ModuleBuilder: Sendable {
    /// A failed build: the compiler's output as is, or what was wrong with the directory.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a build produced.
    public struct Product: Sendable {
        public let path: String
        public let manifest: ModuleManifest
        public let byteCount: Int
    }

    /// The flags that make an Embedded Swift wasm32 module (see docs/writing-a-module.md).
    public static let swiftFlags = [
        "-target", "wasm32-unknown-none-wasm", "-enable-experimental-feature", "Embedded",
        "-enable-experimental-feature", "Extern", "-wmo", "-Osize", "-parse-as-library",
        "-Xfrontend", "-disable-stack-protector", "-Xclang-linker", "-nostdlib",
        "-Xlinker", "--no-entry", "-Xlinker", "--strip-all", "-Xlinker", "-z", "-Xlinker", "stack-size=65536",
        "-Xlinker", "--max-memory=1048576",
    ]

    public let sdkDirectory: String
    public let swiftc: String
    public let clang: String

    public init(sdkDirectory: String, swiftc: String, clang: String) {
        self.sdkDirectory = sdkDirectory
        self.swiftc = swiftc
        self.clang = clang
    }

    /// Finds the SDK sources and the toolchain: `$MIDFLIGHT_SDK` or `Sources/ModuleSDK` near
    /// the executable; `$SWIFTC` or `swiftc` on PATH, and the `clang` beside it.
    public static func standard() throws(Failure) -> ModuleBuilder {
        let candidates = (ProcessInfo.processInfo.environment["MIDFLIGHT_SDK"].map { [$0] } ?? [])
            + FileSystem.resourceCandidates("Sources/ModuleSDK") + FileSystem.resourceCandidates("sdk")
        guard let sdk = candidates.first(where: { FileSystem.exists($0 + "/WasmGlue/Exports.swift") }) else {
            throw Failure(description: "cannot find the module SDK; set MIDFLIGHT_SDK to its folder (Sources/ModuleSDK)")
        }
        guard let swiftc = ProcessInfo.processInfo.environment["SWIFTC"] ?? findOnPath("swiftc") else {
            throw Failure(description: "cannot find swiftc (Swift 6.3 or later); put it on PATH or set SWIFTC")
        }
        let clang = FileSystem.parent(swiftc) + "/clang"
        guard FileSystem.exists(clang) else {
            throw Failure(description: "cannot find the toolchain's clang beside \(swiftc)")
        }
        return ModuleBuilder(sdkDirectory: sdk, swiftc: swiftc, clang: clang)
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Builds `directory` into `output` (default `directory/.build/NAME-VERSION.wasm`).
    public func build(_ directory: String, output: String? = nil, engine: ModuleEngine = ModuleEngine()) throws(Failure) -> Product {
        let manifestPath = directory + "/manifest.json"
        let manifest: ModuleManifest
        let manifestBytes: [UInt8]
        do {
            manifestBytes = try FileSystem.read(manifestPath)
            manifest = try ModuleManifest.parse(manifestBytes, file: manifestPath)
        } catch {
            throw Failure(description: "\(error)")
        }
        guard manifest.abi == ModuleABI.version else {
            throw Failure(
                description: "\(manifestPath): abi \(manifest.abi) is not this SDK's ABI \(ModuleABI.version); set \"abi\": \(ModuleABI.version) (docs/module-abi.md says what changed)")
        }
        let sources = FileSystem.list(directory).filter { $0.hasSuffix(".swift") && $0 != "Package.swift" }.map { directory + "/" + $0 }
        guard !sources.isEmpty else { throw Failure(description: "\(directory) has no Swift sources") }
        let work = directory + "/.build/midflight"
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(work): \(error.localizedDescription)")
        }
        let runtimeObject = work + "/runtime.o"
        try run(clang, [
            "--target=wasm32-unknown-unknown", "-Os", "-nostdlib", "-ffreestanding", "-c",
            sdkDirectory + "/WasmGlue/runtime.c", "-o", runtimeObject,
        ])
        let sdkSources = FileSystem.list(sdkDirectory).filter { $0.hasSuffix(".swift") }.map { sdkDirectory + "/" + $0 }
        let linked = work + "/\(manifest.name).linked.wasm"
        try run(
            swiftc,
            ModuleBuilder.swiftFlags + ["-module-name", moduleName(manifest.name)] + sdkSources
                + [sdkDirectory + "/WasmGlue/Exports.swift"] + sources + [runtimeObject, "-o", linked])
        let compiled: [UInt8]
        do {
            compiled = try FileSystem.read(linked, limit: 64 << 20)
        } catch {
            throw Failure(description: "\(error)")
        }
        // The manifest travels inside the module, compacted.
        let embedded = WasmBinary.appendingCustomSection(
            ModuleABI.manifestSection, payload: Array(manifest.json.serialized.utf8), to: compiled)
        do {
            _ = try ModuleArtifact(bytes: embedded, source: linked, engine: engine)
        } catch {
            throw Failure(description: "the built module does not satisfy the ABI: \(error)")
        }
        let destination = output ?? directory + "/.build/\(manifest.name)-\(manifest.version).wasm"
        guard FileManager.default.createFile(atPath: destination, contents: Data(embedded)) else {
            throw Failure(description: "cannot write \(destination)")
        }
        return Product(path: destination, manifest: manifest, byteCount: embedded.count)
    }

    /// A Swift module name from a module name (`pulse-counter` → `pulse_counter`).
    func moduleName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    private func run(_ executable: String, _ arguments: [String]) throws(Failure) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run \(executable): \(error.localizedDescription)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // The compiler's own words, unchanged.
            throw Failure(description: String(decoding: output, as: UTF8.self))
        }
    }
}
