#if canImport(Glibc)
import Glibc
#endif
import Boards
import JSON
import Manifests
import Platform

/// The agent's persisted state on the data partition: parameter values per service and
/// the installed module versions with their history. Every write is atomic (temp file,
/// fsync, rename, fsync of the folder), so a power cut leaves the old or the new file.
public final class DataStore: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let root: String

    public init(root: String) throws(Failure) {
        self.root = root
        for folder in [root, root + "/params", root + "/modules"] {
            try DataStore.makeDirectory(folder)
        }
    }

    /// Removes the temporary files a writer left when the power was cut between writing
    /// and renaming (`NAME.tmp-PID-N`, see `FileSystem.writeAtomically`), unless their
    /// writer still runs. Called at start, before anything is written. Returns the paths removed.
    public func removeStaleTemporaries() -> [String] {
        var removed: [String] = []
        let folders = [root, root + "/params", root + "/modules"] + FileSystem.list(root + "/modules").map { root + "/modules/" + $0 }
        for folder in folders {
            for name in FileSystem.list(folder) {
                let parts = name.split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count >= 3, parts[parts.count - 3].hasSuffix(".tmp") else { continue }
                let pid = Int32(parts[parts.count - 2]) ?? 0
                // Our own pid counts as stale: a simulated reboot execs with the same pid.
                if pid > 0, pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
                if unlink(folder + "/" + name) == 0 { removed.append(folder + "/" + name) }
            }
        }
        return removed
    }

    /// Says so when the data partition cannot take changes (read-only, or under 64 KiB
    /// free): the services run, but parameters, pushed modules and firmware records would
    /// not be stored.
    public func spaceProblem() -> String? {
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { return nil }
        if info.f_flag & UInt(ST_RDONLY) != 0 {
            return "the data partition (\(root)) is read-only: changes will not be stored"
        }
        let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        guard free < 64 << 10 else { return nil }
        return "the data partition (\(root)) is full (\(free / 1024) KiB free): services run, but changes "
            + "(parameters, pushed modules, firmware records) will not be stored until space is freed"
    }

    static func makeDirectory(_ path: String) throws(Failure) {
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `bytes` to `path` atomically (see `FileSystem.writeAtomically`).
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(Failure) {
        do {
            try FileSystem.writeAtomically(bytes, to: path)
        } catch {
            throw Failure(description: "cannot write \(error)")
        }
    }

    // MARK: Parameters

    /// The stored values of a service, by name (including ones its current module dropped).
    public func parameters(of service: String) -> [String: Double] {
        guard let bytes = try? FileSystem.read(root + "/params/\(service).json"), let value = try? JSONParser.parse(bytes),
            case .object(let members) = value
        else { return [:] }
        var values: [String: Double] = [:]
        for (key, entry) in members {
            if case .number(let number) = entry { values[key] = number }
        }
        return values
    }

    /// Checks a service's stored parameters at start: a file that does not parse is moved
    /// aside (`SERVICE.json.corrupt`, so the next `set` does not overwrite what may be
    /// recovered) and entries that are not numbers are named. Nil when all is well.
    public func checkParameters(of service: String) -> String? {
        let path = root + "/params/\(service).json"
        guard FileSystem.exists(path) else { return nil }
        var members: [(String, JSONValue)] = []
        var problem: String?
        do {
            if case .object(let object) = try JSONParser.parse(try FileSystem.read(path, limit: 1 << 20)) {
                members = object
            } else {
                problem = "not a JSON object"
            }
        } catch {
            problem = "\(error)"
        }
        if let problem {
            let aside = path + ".corrupt"
            let moved = rename(path, aside) == 0
            return "stored parameters \(path) are unreadable (\(problem)); \(moved ? "moved to \(aside); " : "")"
                + "using the configured or default values"
        }
        let dropped = members.filter { if case .number = $0.1 { return false } else { return true } }.map(\.0)
        guard !dropped.isEmpty else { return nil }
        return "stored parameters \(path): \(dropped.joined(separator: ", ")) not a number; ignored"
    }

    public func setParameter(_ name: String, _ value: Double, of service: String) throws(Failure) {
        var values = parameters(of: service)
        values[name] = value
        let document = JSONValue.object(values.keys.sorted().map { ($0, .number(values[$0] ?? 0)) })
        try DataStore.writeAtomically(Array(document.serialized.utf8), to: root + "/params/\(service).json")
    }

    // MARK: Modules

    /// One installed module version.
    public struct ModuleRecord: Hashable, Sendable {
        public let name: String
        public let version: SemanticVersion
        public let path: String
    }

    private func moduleFolder(_ name: String) -> String { root + "/modules/" + name }

    /// Stores a verified module's bytes as NAME/VERSION.wasm.
    public func install(_ bytes: [UInt8], manifest: ModuleManifest) throws(Failure) -> ModuleRecord {
        try DataStore.makeDirectory(moduleFolder(manifest.name))
        let path = moduleFolder(manifest.name) + "/\(manifest.version).wasm"
        try DataStore.writeAtomically(bytes, to: path)
        return ModuleRecord(name: manifest.name, version: manifest.version, path: path)
    }

    /// The versions a module has been active at, oldest first.
    public func history(of name: String) -> [SemanticVersion] {
        readHistory(of: name).versions
    }

    /// The history with what is wrong with it: unreadable, empty (a stored history always
    /// has a line), or lines that are not versions (skipped).
    public func readHistory(of name: String) -> (versions: [SemanticVersion], problem: String?) {
        let path = moduleFolder(name) + "/history"
        guard FileSystem.exists(path) else { return ([], nil) }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 64 << 10)
        } catch {
            return ([], "its history is unreadable (\(error))")
        }
        var versions: [SemanticVersion] = []
        var bad: [Int] = []
        for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            if let version = SemanticVersion(String(line)) { versions.append(version) } else { bad.append(index + 1) }
        }
        if versions.isEmpty { return ([], bad.isEmpty ? "its history is empty" : "its history has no version in it") }
        let problem = bad.isEmpty ? nil : "its history has lines that are not versions (\(bad.prefix(5).map(String.init).joined(separator: ", "))); skipped"
        return (versions, problem)
    }

    /// The versions stored on the data partition (NAME/VERSION.wasm), newest first.
    public func storedVersions(of name: String) -> [SemanticVersion] {
        FileSystem.list(moduleFolder(name)).compactMap { file -> SemanticVersion? in
            guard file.hasSuffix(".wasm") else { return nil }
            return SemanticVersion(String(file.dropLast(5)))
        }.sorted(by: >)
    }

    /// Records `version` as the active one (the last line of the history).
    public func activate(_ name: String, version: SemanticVersion) throws(Failure) {
        try DataStore.makeDirectory(moduleFolder(name))
        let lines = (history(of: name) + [version]).suffix(50).map(\.description).joined(separator: "\n") + "\n"
        try DataStore.writeAtomically(Array(lines.utf8), to: moduleFolder(name) + "/history")
    }

    /// Undoes activations back to `version` (a rollback or a probation failure): entries
    /// after its last activation are dropped, so a second rollback goes further back, not
    /// forward. The files of versions no longer in the history go too: a version given up
    /// on must not come back when a damaged history makes the agent pick a stored file.
    public func revert(_ name: String, to version: SemanticVersion) throws(Failure) {
        let before = history(of: name)
        var entries = before
        while let last = entries.last, last != version { entries.removeLast() }
        if entries.isEmpty { entries = [version] }
        let lines = entries.map(\.description).joined(separator: "\n") + "\n"
        try DataStore.writeAtomically(Array(lines.utf8), to: moduleFolder(name) + "/history")
        for dropped in Set(before).subtracting(entries) { unlink(moduleFolder(name) + "/\(dropped).wasm") }
    }

    /// What became of each version that ran (`module history`); empty when none is
    /// recorded or the journal cannot be read (it only explains).
    public func outcomes(of name: String) -> ModuleOutcomes {
        guard let bytes = try? FileSystem.read(moduleFolder(name) + "/outcomes", limit: 256 << 10) else { return ModuleOutcomes() }
        return ModuleOutcomes(parsing: String(decoding: bytes, as: UTF8.self))
    }

    /// Adds `event` to the module's outcomes journal.
    public func record(_ event: ModuleOutcomes.Event, of name: String) throws(Failure) {
        let path = moduleFolder(name) + "/outcomes"
        // One that exists but cannot be read is left as it is, not replaced by this one event.
        if FileSystem.exists(path), (try? FileSystem.read(path, limit: 256 << 10)) == nil {
            throw Failure(description: "\(path) is unreadable or too large; \(event) not recorded")
        }
        var outcomes = outcomes(of: name)
        outcomes.add(event)
        try DataStore.makeDirectory(moduleFolder(name))
        try DataStore.writeAtomically(Array(outcomes.serialized.utf8), to: moduleFolder(name) + "/outcomes")
    }

    /// The installed file of a version, if it is stored.
    public func installed(_ name: String, version: SemanticVersion) -> ModuleRecord? {
        let path = moduleFolder(name) + "/\(version).wasm"
        return FileSystem.exists(path) ? ModuleRecord(name: name, version: version, path: path) : nil
    }
}
