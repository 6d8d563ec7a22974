import Foundation
import Hardware
import Manifests
import ModuleABI
import ModuleHost
import ModuleRuntime
import ModuleTools
import SimulatedHardware
import WAT

let engine = ModuleEngine()

/// A board for runtime tests: a DS3231 on i2c-1, a button and a pulse sensor.
func runtimeBoard(clock: ManualClock = ManualClock(), pulseHertz: Double = 10) -> SimulatedBoard {
    SimulatedBoard(
        SimulatedBoardSpec(
            name: "runtime",
            buses: [.init(number: 1, devices: [.init(address: 0x68, model: .ds3231(.init(time: .unixSeconds(1_800_000_000)), temperature: 21.5))])],
            chips: [
                .init(
                    name: "gpiochip0", label: "runtime", lineCount: 32,
                    lines: [
                        .init(offset: 17, name: "button", drive: .button(.init())),
                        .init(offset: 27, name: "pulse", drive: .pulses(hertz: pulseHertz)),
                    ])
            ]),
        clock: clock)
}

/// The repository's device modules, built to wasm once per test run.
enum BuiltModules {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "midflight-runtime-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    private static let built: [String: Result<[UInt8], ModuleBuilder.Failure>] = {
        var results: [String: Result<[UInt8], ModuleBuilder.Failure>] = [:]
        for name in ["rtc", "button", "pulse-counter", "threshold"] {
            results[name] = Result { () throws(ModuleBuilder.Failure) -> [UInt8] in
                let builder = try ModuleBuilder.standard()
                let product = try builder.build(repository + "/Sources/Modules/" + name, output: directory + "/\(name).wasm")
                return Array(FileManager.default.contents(atPath: product.path) ?? Data())
            }
        }
        return results
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        try built[name]!.get()
    }
}

/// Instantiates `bytes` as service `service` on `board` with `grants`.
func instantiate(
    _ bytes: [UInt8], service: String = "test", grants: ServiceGrants = ServiceGrants(), board: SimulatedBoard,
    time: SimulatedSystemTime? = nil
) throws -> ModuleInstance {
    let artifact = try ModuleArtifact(bytes: bytes, source: service, engine: engine)
    let resources = try ServiceResources(
        serviceName: service, manifest: artifact.manifest, grants: grants,
        parameters: artifact.manifest.parameters.map(\.defaultValue), backend: board,
        time: time ?? SimulatedSystemTime(clock: board.clock))
    return try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
}

/// A hand-written module in WebAssembly text, with every ABI export (overridable) and
/// the manifest embedded: the hostile modules are variations of this.
func watModule(
    manifest: String = #"{"name": "hostile", "version": "1.0.0", "abi": 1}"#,
    imports: String = "",
    memory: String = #"(memory (export "memory") 1 1)"#,
    overrides: [String: String] = [:],
    omit: Set<String> = [],
    extra: String = "",
    embedManifest: Bool = true
) throws -> [UInt8] {
    let defaults: [String: String] = [
        "mf_abi_version": "(func (export \"mf_abi_version\") (result i32) (i32.const 1))",
        "mf_alloc": "(func (export \"mf_alloc\") (param i32) (result i32) (i32.const 1024))",
        "mf_init": "(func (export \"mf_init\") (result i32) (i32.const 0))",
        "mf_tick": "(func (export \"mf_tick\") (result i32) (i32.const 0))",
        "mf_edge": "(func (export \"mf_edge\") (param i32 i32 i64) (result i32) (i32.const 0))",
        "mf_param": "(func (export \"mf_param\") (param i32 f64) (result i32) (i32.const 0))",
        "mf_reading": "(func (export \"mf_reading\") (param i32 f64) (result i32) (i32.const 0))",
        "mf_call": "(func (export \"mf_call\") (param i32 i32) (result i32) (i32.const 0))",
        "mf_snapshot": "(func (export \"mf_snapshot\") (result i32) (i32.const 0))",
        "mf_code_change": "(func (export \"mf_code_change\") (param i32 i32 i32) (result i32) (i32.const 0))",
        "mf_terminate": "(func (export \"mf_terminate\") (result i32) (i32.const 0))",
    ]
    let functions = ModuleABI.Export.all.map(\.name).filter { !omit.contains($0) }.map { overrides[$0] ?? defaults[$0]! }
    let text = "(module \(imports) \(memory) \(functions.joined(separator: "\n")) \(extra))"
    let wasm = try wat2wasm(text)
    guard embedManifest else { return wasm }
    return WasmBinary.appendingCustomSection(ModuleABI.manifestSection, payload: Array(manifest.utf8), to: wasm)
}
