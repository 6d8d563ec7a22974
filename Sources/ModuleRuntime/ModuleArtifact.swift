import Manifests
import ModuleABI
import Synchronization
import WasmKit

/// A verified module: its bytes parse, its manifest is embedded and valid, it speaks this
/// agent's ABI, imports only what the host provides, exports every lifecycle function,
/// and caps its memory. Cheap to share between services that run the same module.
public struct ModuleArtifact: Sendable {
    public let manifest: ModuleManifest
    public let byteCount: Int
    /// Unique to this verification: instances made from it belong to it and to nothing
    /// loaded later, even with the same name, version and size.
    public let serial: UInt64
    let module: Module

    private static let serials = Atomic<UInt64>(0)

    /// Checks `bytes` (from `source`, for messages) and refuses with the first problem found.
    public init(bytes: [UInt8], source: String, engine: ModuleEngine) throws(ModuleRefusal) {
        guard bytes.count <= engine.limits.moduleBytes else {
            throw ModuleRefusal(.limits, "\(source): \(bytes.count) bytes is larger than the \(engine.limits.moduleBytes)-byte limit")
        }
        let manifestBytes: [UInt8]?
        let memories: [WasmBinary.MemoryLimits]
        let tables: [WasmBinary.TableLimits]
        do {
            manifestBytes = try WasmBinary.customSection(ModuleABI.manifestSection, in: bytes)
            memories = try WasmBinary.memories(of: bytes)
            tables = try WasmBinary.tables(of: bytes)
        } catch {
            throw ModuleRefusal(.invalid, "\(source): not a WebAssembly module (\(error))")
        }
        guard let manifestBytes else {
            throw ModuleRefusal(
                .invalid, "\(source): no \(ModuleABI.manifestSection) section; build modules with `midflight module build`")
        }
        do {
            manifest = try ModuleManifest.parse(manifestBytes, file: "\(source) (embedded manifest)")
        } catch {
            throw ModuleRefusal(.invalid, error.description)
        }
        let name = "\(manifest.name) \(manifest.version)"
        guard (ModuleABI.oldestSupportedVersion...ModuleABI.version).contains(manifest.abi) else {
            throw ModuleRefusal(
                .incompatible, "\(name) was built for module ABI \(manifest.abi); this agent runs ABI \(ModuleABI.oldestSupportedVersion) to \(ModuleABI.version)")
        }
        guard memories.count == 1, let maximum = memories[0].maximum else {
            throw ModuleRefusal(.limits, "\(name): a module defines exactly one memory with a maximum size (link with --max-memory)")
        }
        guard maximum <= engine.limits.memoryPages else {
            throw ModuleRefusal(
                .limits, "\(name): memory may grow to \(maximum) pages of 64 KiB, above the \(engine.limits.memoryPages) pages (\(engine.limits.memoryPages * 64) KiB) limit")
        }
        var entries: UInt64 = 0
        for table in tables {
            guard let maximum = table.maximum else {
                throw ModuleRefusal(.limits, "\(name): a table has no maximum size (tables must declare one, as memories do)")
            }
            guard maximum <= engine.limits.tableEntries - entries else {
                throw ModuleRefusal(.limits, "\(name): its tables may grow beyond \(engine.limits.tableEntries) entries")
            }
            entries += maximum
        }
        do {
            module = try parseWasm(bytes: bytes)
        } catch {
            throw ModuleRefusal(.invalid, "\(name): invalid WebAssembly: \(error)")
        }
        let provided = Dictionary(uniqueKeysWithValues: ModuleABI.Import.all.map { ($0.name, $0) })
        for entry in module.imports {
            guard entry.module == ModuleABI.importModule, let function = provided[entry.name],
                case .function = entry.descriptor
            else {
                throw ModuleRefusal(.incompatible, "\(name) imports \(entry.module).\(entry.name), which the host does not provide")
            }
            guard ModuleABI.Import.introduced(function) <= manifest.abi else {
                throw ModuleRefusal(
                    .incompatible, "\(name) imports \(entry.name), which came with ABI \(ModuleABI.Import.introduced(function)), but says it is built for ABI \(manifest.abi)")
            }
        }
        let exported = Set(module.exports.compactMap { export -> String? in
            if case .function = export.descriptor { return export.name }
            return nil
        })
        let missing = ModuleABI.Export.all.map(\.name).filter { !exported.contains($0) }
        guard missing.isEmpty else {
            throw ModuleRefusal(.missingExport, "\(name) does not export \(missing.joined(separator: ", "))")
        }
        guard module.exports.contains(where: { $0.name == "memory" }) else {
            throw ModuleRefusal(.missingExport, "\(name) does not export its memory")
        }
        byteCount = bytes.count
        serial = Self.serials.add(1, ordering: .relaxed).newValue
    }
}
