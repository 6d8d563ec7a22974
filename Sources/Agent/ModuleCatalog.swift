import Manifests
import ModuleRuntime
import Platform

/// The module versions the services run: the active artifact of each module, found in the
/// store (the active version, the ones before it, any stored file when the history is
/// lost) or among the firmware's built-in modules, verified once and shared by every
/// service of the module. Used on the loop thread only, like the `Supervisor` that owns it.
final class ModuleCatalog {
    private let handle: AgentHandle
    private var active: [String: ModuleArtifact] = [:]
    /// Where each module's built-in version came from (a firmware file), by module name.
    private(set) var builtInSources: [String: (path: String, version: SemanticVersion)] = [:]

    init(handle: AgentHandle) {
        self.handle = handle
    }

    /// The active version's artifact, once loaded; set by a swap or a rollback.
    subscript(module: String) -> ModuleArtifact? {
        get { active[module] }
        set { active[module] = newValue }
    }

    private var store: DataStore { handle.store }
    private var engine: ModuleEngine { handle.engine }

    func artifact(for module: String) throws(ModuleRefusal) -> ModuleArtifact {
        if let cached = active[module] { return cached }
        var skipped: [String] = []
        let (history, historyProblem) = store.readHistory(of: module)
        if let historyProblem { skipped.append(historyProblem) }
        // Newest first: the active version, the ones before it, then (when the history is
        // lost) any stored version, then the built-in ones.
        var candidates: [(version: SemanticVersion, path: String, builtIn: Bool)] = []
        for version in history.reversed() where !candidates.contains(where: { $0.version == version }) {
            if let record = store.installed(module, version: version) {
                candidates.append((version, record.path, false))
            } else if version == history.last {
                skipped.append("\(version) is the active version but its file is gone")
            }
        }
        if history.isEmpty {
            for version in store.storedVersions(of: module) {
                candidates.append((version, store.root + "/modules/\(module)/\(version).wasm", false))
            }
        }
        candidates += builtInModules(module).map { ($0.version, $0.path, true) }
        for candidate in candidates {
            do {
                let bytes: [UInt8]
                do {
                    bytes = try FileSystem.read(candidate.path, limit: engine.limits.moduleBytes + 1)
                } catch {
                    throw ModuleRefusal(.unreadable, "\(error)")
                }
                let artifact = try ModuleArtifact(bytes: bytes, source: candidate.path, engine: engine)
                guard artifact.manifest.name == module else {
                    throw ModuleRefusal(.notFound, "\(candidate.path) holds module \(artifact.manifest.name), not \(module)")
                }
                if candidate.builtIn { builtInSources[module] = (candidate.path, candidate.version) }
                if !skipped.isEmpty {
                    let problem = "\(module): \(skipped.joined(separator: "; ")); running \(candidate.version) from \(candidate.path)"
                    handle.note(.error, problem)
                    handle.dataProblems.withLock { $0.append(problem) }
                    // The history says what runs: a version given up on is dropped from it.
                    if !candidate.builtIn, history.contains(candidate.version), let given = history.last, given != candidate.version {
                        let (name, version) = (module, candidate.version)
                        handle.storeWriter.submit { [store] in
                            try? store.revert(name, to: version)
                            try? store.record(.rolledBack(given, reason: "its stored file was unusable at start"), of: name)
                            try? store.record(.activated(version), of: name)
                        }
                    }
                }
                active[module] = artifact
                return artifact
            } catch {
                skipped.append("\(candidate.version) (\(candidate.path)) is unusable: \(error)")
            }
        }
        if candidates.isEmpty {
            throw ModuleRefusal(.notFound, "no module \(module) installed or built in (looked in \(handle.config.moduleFolders.joined(separator: ", ")))")
        }
        throw ModuleRefusal(.notFound, "no usable version of \(module): \(skipped.joined(separator: "; "))")
    }

    /// The built-in versions of a module in the config's module folders, newest first.
    private func builtInModules(_ module: String) -> [(version: SemanticVersion, path: String)] {
        var found: [(version: SemanticVersion, path: String)] = []
        for folder in handle.config.moduleFolders {
            for file in FileSystem.list(folder) where file.hasPrefix(module + "-") && file.hasSuffix(".wasm") {
                guard let version = SemanticVersion(String(file.dropFirst(module.count + 1).dropLast(5))) else { continue }
                found.append((version, folder + "/" + file))
            }
        }
        return found.sorted { $0.version > $1.version }
    }
}
