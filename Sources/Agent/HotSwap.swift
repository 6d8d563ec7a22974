import Boards
import Manifests
import ModuleHost
import ModuleRuntime
import Platform

/// The outcome of a hot swap, for the one-line report people see.
public struct SwapReport: Sendable, CustomStringConvertible {
    public let module: String
    public let from: String
    public let to: String
    public let services: [String]
    public let pauseNanoseconds: UInt64
    /// How long the loop thread was held, pause included (events and calls to every service
    /// wait this long); verification and instantiation happen before it, storing after it.
    public let loopNanoseconds: UInt64
    /// False when the target version could not read the state and started fresh (rollback).
    public let stateMigrated: Bool
    /// Set when the module could not be stored on the data partition.
    public internal(set) var storageProblem: String?
    /// Which swap of the module this was (for its probation verdict).
    let serial: Int

    public var description: String {
        let pause = Double(pauseNanoseconds / 1000) / 1000
        let outcome = stateMigrated ? "state migrated" : "state reset (it cannot read \(from)'s state)"
        let storage = storageProblem.map { "; NOT STORED, the old version returns after a reboot: \($0)" } ?? ""
        let held = Double(loopNanoseconds / 1000) / 1000
        return "\(module) \(from) → \(to): swapped \(services.count) service\(services.count == 1 ? "" : "s") in \(pause) ms (loop held \(held) ms), \(outcome)\(storage)"
    }
}

extension AgentHandle {
    /// Hot-swaps every running service of the module in `bytes` to it. Called off the loop
    /// thread (a console or SSH session), which verifies the module, instantiates one copy
    /// per service and reads the services' parameters; the loop thread is then held only to
    /// snapshot each old instance, `code_change` the new one and switch (all switch only if
    /// all migrated). The loop then has the store writer store the module and record it as
    /// active, and this thread waits for that. The old instances stay intact during
    /// probation; a crash in it reverts the record (queued behind it).
    public func swap(to bytes: [UInt8], source: String, allowDowngrade: Bool, freshStateIfRefused: Bool = false) throws(SwapRefusal) -> SwapReport {
        // One swap at a time: the plan, the instances made for it and the switch belong together.
        try swapLock.withLock { () throws(SwapRefusal) -> SwapReport in
            try swapHoldingLock(to: bytes, source: source, allowDowngrade: allowDowngrade, freshStateIfRefused: freshStateIfRefused)
        }
    }

    private func swapHoldingLock(to bytes: [UInt8], source: String, allowDowngrade: Bool, freshStateIfRefused: Bool) throws(SwapRefusal) -> SwapReport {
        let artifact: ModuleArtifact
        do {
            artifact = try ModuleArtifact(bytes: bytes, source: source, engine: engine)
        } catch {
            throw .invalidModule(error)
        }
        let manifest = artifact.manifest
        let stopping = SwapRefusal.stopping(module: manifest.name)
        guard let planned = performIfRunning({ SwapSwitch(supervisor: $0).plan(manifest, allowDowngrade: allowDowngrade) }) else { throw stopping }
        let plan = try planned.get()
        var spares: [ModuleInstance] = []
        for _ in plan.runningServices {
            do {
                spares.append(try ModuleInstance(standbyFor: artifact, engine: engine))
            } catch {
                throw .invalidModule(error)
            }
        }
        let stored = Dictionary(uniqueKeysWithValues: plan.runningServices.map { ($0, store.parameters(of: $0)) })
        let handoff = Handoff(spares)
        guard
            let outcome = performIfRunning({ runtime in
                SwapSwitch(supervisor: runtime).switchOver(
                    to: artifact, bytes: bytes, spares: handoff.value, allowDowngrade: allowDowngrade,
                    freshStateIfRefused: freshStateIfRefused, plan: plan, storedParameters: stored)
            })
        else { throw stopping }
        var (report, receipt) = try outcome.get()
        report.storageProblem = receipt.wait()
        if let problem = report.storageProblem {
            note(.error, "swapped, but not stored (the old version comes back after a reboot): \(problem)", service: nil)
        }
        note(.info, report.description)
        return report
    }

    /// Stores the module (and, on its first swap, the built-in version it replaces) and
    /// records it as the active version; on the store writer, after the switch.
    static func store(
        _ bytes: [UInt8], _ manifest: ModuleManifest, builtIn: (path: String, manifest: ModuleManifest)?, freshStateIfRefused: Bool,
        in store: DataStore, limit: Int
    ) throws -> Void {
        let history = store.history(of: manifest.name)
        // The first swap of a built-in module records the built-in version too, for rollback.
        if let builtIn, history.isEmpty {
            _ = try store.install(try FileSystem.read(builtIn.path, limit: limit), manifest: builtIn.manifest)
            try store.activate(manifest.name, version: builtIn.manifest.version)
            if store.outcomes(of: manifest.name).events.isEmpty { try store.record(.activated(builtIn.manifest.version), of: manifest.name) }
        }
        _ = try store.install(bytes, manifest: manifest)
        if freshStateIfRefused, history.contains(manifest.version) {
            try store.revert(manifest.name, to: manifest.version)
        } else {
            try store.activate(manifest.name, version: manifest.version)
        }
        try store.record(.activated(manifest.version), of: manifest.name)
    }

    /// `module rollback NAME`: back to the version active before the current one (off the loop thread, as `swap`).
    func rollback(_ module: String) throws(SwapRefusal) -> SwapReport {
        // The target is read from the history under the swap lock, after the writes queued
        // so far (a probation rollback's revert): two rollbacks go back two versions.
        try swapLock.withLock { () throws(SwapRefusal) -> SwapReport in
            if let problem = flushStore() {
                throw .historyUnsettled(module: module, problem: problem)
            }
            return try rollbackHoldingLock(module)
        }
    }

    private func rollbackHoldingLock(_ module: String) throws(SwapRefusal) -> SwapReport {
        let history = store.history(of: module)
        guard history.count >= 2 else {
            throw .noEarlierVersion(module: module)
        }
        let target = history[history.count - 2]
        guard let record = store.installed(module, version: target) else {
            throw .notStored(module: module, version: target)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(record.path, limit: engine.limits.moduleBytes + 1)
        } catch {
            throw .unreadable(error)
        }
        let report = try swapHoldingLock(to: bytes, source: record.path, allowDowngrade: true, freshStateIfRefused: true)
        if let left = history.last {
            storeWriter.submit { [store] in try? store.record(.rolledBack(left, reason: "by module rollback"), of: module) }
        }
        return report
    }
}
