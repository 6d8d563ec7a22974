#if canImport(Glibc)
import Glibc
#endif
import Agent
import Bundles
import Firmware
import Manifests
import Synchronization
import Platform

/// The agent's side of A/B updates: which slot it runs from and whether on trial; the
/// health gate that validates a trial boot or reboots so the bootloader falls back; the
/// detection and report of a revert; installs (one at a time), `fw validate` and
/// `fw revert`. The boot environment is the truth; the journal adds the why.
public final class FirmwareManager: @unchecked Sendable {
    /// What `fw status` shows.
    public struct Status: Hashable, Sendable {
        public enum Validation: String, Sendable {
            case validated
            case onTrial = "on trial"
        }

        public let slot: FirmwareSlot
        public let version: String
        public let validation: Validation
        public let otherSlotState: String
        public let otherSlotVersion: String?
        /// An installed update waiting for a reboot into it.
        public let pendingReboot: Bool
        public let bootCount: String
        public let securityVersion: String
        /// The last update's outcome, e.g. "reverted from B 1.1.0: flow failed …".
        public let lastOutcome: String?
        /// Whether the last outcome was a revert (the banner says so until the next one).
        public let lastWasRevert: Bool
        /// While on trial: what the health gate is waiting for.
        public let gate: String?
    }

    public static let factoryVersion = "1.0.0"

    public let board: String
    public let layout: FirmwareLayout
    public let runningSlot: FirmwareSlot
    public let settings: TrialSettings
    let journalPath: String
    /// Keys whose firmware may be installed (replaced on SIGHUP).
    var trusted: TrustStore { trustedKeys.withLock { $0 } }
    private let trustedKeys: Mutex<TrustStore>
    let log: LogBook
    /// The agent's clock, for log times.
    let clock: @Sendable () -> UInt64
    private let lock = ConditionLock()
    /// Serialises the journal's read-modify-writes and validation.
    private let journalLock = ConditionLock()
    /// Guarded by `lock`: the held install lock file (an flock shared with other processes).
    private var installLock: Int32 = -1
    private var gate: HealthGate?
    private var gateNote: String?
    private var watching = false

    /// Reads the environment and journal at boot: mends a damaged environment copy (when
    /// `mendsEnvironment`), detects and records a revert, and clears an install the
    /// bootloader already fell back from.
    public init(
        board: String, layout: FirmwareLayout, runningSlot: FirmwareSlot, settings: TrialSettings, dataDirectory: String,
        trusted: TrustStore, log: LogBook, clock: @escaping @Sendable () -> UInt64 = { monotonicNanoseconds() },
        mendsEnvironment: Bool = true
    ) throws(FirmwareRefusal) {
        self.clock = clock
        self.board = board
        self.layout = layout
        self.runningSlot = runningSlot
        self.settings = settings
        journalPath = dataDirectory + "/firmware.json"
        trustedKeys = Mutex(trusted)
        self.log = log
        // Only the agent mends (`midflightd install` beside it must not race its stores).
        if mendsEnvironment {
            do {
                for note in try layout.environment.repair() { log.add(.error, note, service: nil, at: clock()) }
            } catch {
                throw FirmwareRefusal(.bootEnvironment, error.description)
            }
        }
        let chooser = BootChooser(environment: layout.environment)
        var boot = try chooser.state()
        if !boot.isProvisioned {
            // A board's first start: provision our variables next to U-Boot's own, in one store.
            try chooser.provision(running: runningSlot, factoryVersion: Self.factoryVersion, current: boot)
            boot = try chooser.state()
        }
        var journal = Self.loadJournal(journalPath, log: log, clock: clock)
        if let trialSlot = boot.trialSlot, trialSlot != runningSlot, boot.bootSlot != trialSlot {
            // The bootloader moved away from the slot on trial (a slot on trial that still
            // boots next is an install waiting for its reboot): a revert.
            let version = boot.version(of: trialSlot) ?? journal.pending?.version ?? "?"
            // A trial the journal says was validated: the environment's newer copy (that
            // recorded it) was lost, and the older one still had the trial armed.
            let lostValidation = journal.last.map { $0.result == .validated && $0.slot == trialSlot && $0.version == version } ?? false
            let reason = journal.trialFailure
                ?? (lostValidation
                    ? "slot \(trialSlot) had been validated, but the boot environment's newer copy was damaged and the older one still had it on trial"
                    : "the bootloader fell back after \(boot.variables[BootVariables.bootLimit] ?? "1") unvalidated boot(s)")
            journal.last = .init(result: .reverted, slot: trialSlot, version: version, reason: reason)
            journal.pending = nil
            journal.trialFailure = nil
            // The journal first: a crash between the two finds the slot on trial again and reports it again.
            try journal.save(journalPath)
            try chooser.recordFallback(from: trialSlot)
            log.add(.error, "firmware: reverted from slot \(trialSlot) (\(version)) to slot \(runningSlot): \(reason)", service: nil, at: clock())
        } else if let from = boot.fallbackFrom {
            if from != runningSlot, boot.state(of: from) != .bad {
                // A validated slot that stopped booting (damaged, or its kernel panics): the
                // bootloader gave up on it; it stays bad until something is installed there.
                let version = boot.version(of: from) ?? "?"
                let reason = journal.trialFailure ?? "it failed to boot \(boot.bootLimit + 1) times in a row (bootcount past bootlimit)"
                journal.last = .init(result: .reverted, slot: from, version: version, reason: reason)
                journal.trialFailure = nil
                try journal.save(journalPath)
                try chooser.recordFallback(from: from)
                log.add(
                    .error, "firmware: slot \(from) (\(version)) no longer boots; fell back to slot \(runningSlot): \(reason)",
                    service: nil, at: clock())
            } else {
                try chooser.recordFallback(from: nil)
            }
        }
    }

    /// This boot reached the agent: the bootloader's count of boots is zeroed (a trial's is
    /// zeroed by its validation instead), so only boots that never get this far add up.
    public func confirmBoot() throws(FirmwareRefusal) {
        guard try !isOnTrial() else { return }
        guard try chooser.state().bootCountText != "0" else { return }
        try chooser.confirmBoot()
    }

    /// Trusts `keys` for installs from now on.
    public func replaceTrustedKeys(_ keys: TrustStore) {
        trustedKeys.withLock { $0 = keys }
    }

    /// Whether this boot is a trial the health gate must pass.
    public func isOnTrial() throws(FirmwareRefusal) -> Bool {
        try chooser.state().isOnTrial(runningSlot)
    }

    public func status() throws(FirmwareRefusal) -> Status {
        let boot = try chooser.state()
        let journal = journalLock.withLock { Self.loadJournal(journalPath, log: log, clock: clock) }
        let onTrial = try isOnTrial()
        let other = runningSlot.other
        let outcome = journal.last.map { last in
            last.result == .validated
                ? "validated slot \(last.slot) (\(last.version)): \(last.reason)"
                : "reverted from slot \(last.slot) (\(last.version)): \(last.reason)"
        }
        let gateText: String? = lock.withLock { onTrial ? (gateNote ?? "waiting for the services") : nil }
        return Status(
            slot: runningSlot, version: boot.version(of: runningSlot) ?? "?",
            validation: onTrial ? .onTrial : .validated,
            otherSlotState: boot.state(of: other)?.rawValue ?? "empty",
            otherSlotVersion: boot.version(of: other),
            pendingReboot: boot.bootSlot != runningSlot,
            bootCount: boot.bootCountText,
            securityVersion: boot.variables[BootVariables.securityVersion] ?? "0",
            lastOutcome: outcome, lastWasRevert: journal.last.map { $0.result != .validated } ?? false, gate: gateText)
    }

    /// One line for the login banner: slot, version, validation.
    public func banner() -> String {
        guard let status = try? status() else { return "firmware: boot environment unreadable" }
        var text = "firmware \(status.version) in slot \(status.slot), \(status.validation.rawValue)"
        if status.pendingReboot { text += "; slot \(status.slot.other) installed, reboot to try it" }
        if let outcome = status.lastOutcome, status.validation == .validated, status.lastWasRevert { text += "; " + outcome }
        return text
    }

    // MARK: Validation

    /// Commits the trial: one store that disarms the bootloader's count, marks this slot
    /// good and raises the anti-rollback counter to its security version.
    public func validate(reason: String) throws(FirmwareRefusal) {
        try journalLock.withLock { () throws(FirmwareRefusal) in
            guard try isOnTrial() else { throw FirmwareRefusal(.slotState, "slot \(runningSlot) is already validated") }
            let boot = try chooser.state()
            var journal = Self.loadJournal(journalPath, log: log, clock: clock)
            let version = boot.version(of: runningSlot) ?? "?"
            journal.last = .init(result: .validated, slot: runningSlot, version: version, reason: reason)
            journal.pending = nil
            journal.trialFailure = nil
            try journal.save(journalPath)
            try chooser.validate(runningSlot, current: boot)
            lock.withLock {
                gate = nil
                gateNote = nil
            }
            log.add(.info, "firmware: slot \(runningSlot) (\(version)) validated: \(reason)", service: nil, at: clock())
        }
    }

    /// Switches the next boot to the other slot, which must be good (a validated earlier
    /// firmware). Does not reboot.
    public func revert() throws(FirmwareRefusal) -> FirmwareSlot {
        guard lock.withLock({ installLock < 0 }) else { throw FirmwareRefusal(.busy, "a firmware install is running; wait for it") }
        let boot = try chooser.state()
        let other = runningSlot.other
        if boot.bootSlot == other, boot.state(of: other) == .trial {
            // An install waiting for its reboot: cancelled; this slot boots next, the other is bad.
            let version = boot.version(of: other) ?? "?"
            try journalLock.withLock { () throws(FirmwareRefusal) in
                var journal = Self.loadJournal(journalPath, log: log, clock: clock)
                journal.pending = nil
                journal.trialFailure = nil
                journal.last = .init(result: .reverted, slot: other, version: version, reason: "install cancelled before its reboot (fw revert)")
                try journal.save(journalPath)
            }
            try chooser.cancelArmed(running: runningSlot)
            log.add(.warning, "firmware: install of \(version) in slot \(other) cancelled; slot \(runningSlot) boots next", service: nil, at: clock())
            return runningSlot
        }
        guard boot.state(of: other) == .good else {
            throw FirmwareRefusal(.slotState, "slot \(other) holds no validated firmware (\(boot.variables[BootVariables.state(other)] ?? "empty")); nothing to revert to")
        }
        let (floor, security) = (boot.securityFloor, boot.securityVersion(of: other))
        guard security >= floor else {
            throw FirmwareRefusal(.antiRollback, "slot \(other) has security version \(security), below this board's \(floor) (anti-rollback)")
        }
        if try isOnTrial() {
            // Giving up the trial: the report after the reboot says so.
            stopWatching()
            try journalLock.withLock { () throws(FirmwareRefusal) in
                var journal = Self.loadJournal(journalPath, log: log, clock: clock)
                journal.trialFailure = "given up by hand (fw revert)"
                try journal.save(journalPath)
            }
        }
        try chooser.revert(to: other)
        log.add(.warning, "firmware: next boot from slot \(other) (\(boot.version(of: other) ?? "?")), by request", service: nil, at: clock())
        return other
    }

    // MARK: Installs

    /// A fresh installer into the other slot; one install at a time on the board, across
    /// processes too (`midflightd install` beside the agent): an flock on `install.lock`
    /// in the data folder, held until `endInstall`.
    public func beginInstall(allowDowngrade: Bool = false) throws(FirmwareRefusal) -> FirmwareInstaller {
        try lock.withLock { () throws(FirmwareRefusal) in
            guard installLock < 0 else { throw FirmwareRefusal(.busy, "another firmware install is running") }
            let fd = open(lockPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FirmwareRefusal(.storage, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw FirmwareRefusal(.busy, "another firmware install is running on this board")
            }
            installLock = fd
        }
        return FirmwareInstaller(
            target: .init(
                board: board, layout: layout, runningSlot: runningSlot, trusted: trusted, agentVersion: AgentVersion.current,
                allowDowngrade: allowDowngrade))
    }

    /// Waits until no install is running (its worker committed or gave it up), at most
    /// `timeoutNanoseconds`; false if one still runs then.
    @discardableResult
    public func waitForInstallToEnd(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = monotonicNanoseconds() + timeoutNanoseconds
        while lock.withLock({ installLock >= 0 }) {
            guard monotonicNanoseconds() < deadline else { return false }
            Self.sleep(nanoseconds: 50_000_000)
        }
        return true
    }

    private var lockPath: String { FileSystem.parent(journalPath) + "/install.lock" }

    /// Ends an install begun with `beginInstall`; a committed one is journaled.
    public func endInstall(_ installer: FirmwareInstaller) {
        defer {
            lock.withLock {
                if installLock >= 0 { close(installLock) }
                installLock = -1
            }
        }
        if case .committed(let slot) = installer.phase, let manifest = installer.manifest {
            journalLock.withLock {
                var journal = Self.loadJournal(journalPath, log: log, clock: clock)
                journal.pending = .init(slot: slot, version: manifest.version.description)
                journal.trialFailure = nil
                do {
                    try journal.save(journalPath)
                } catch {
                    log.add(.error, "firmware: \(error)", service: nil, at: clock())
                }
            }
            log.add(.info, "firmware: \(manifest.version) installed in slot \(slot) (key \(installer.keyID ?? "?")); reboot to try it", service: nil, at: clock())
        } else if case .failed(let reason) = installer.phase {
            log.add(.error, "firmware: install refused: \(reason)", service: nil, at: clock())
        }
    }

    // MARK: The health gate

    /// On a trial boot, watches the permanent services from a thread of its own: healthy
    /// for the window validates (when automatic); the deadline reboots (`reboot`) to fall back.
    public func watchTrial(of agent: any HealthProbe, reboot: (@Sendable (String) -> Void)?) {
        guard (try? isOnTrial()) == true else { return }
        let now = monotonicNanoseconds()
        lock.withLock {
            gate = HealthGate(
                windowNanoseconds: UInt64(settings.healthWindowSeconds * 1e9),
                deadlineNanoseconds: UInt64(settings.validationDeadlineSeconds * 1e9), now: now)
            watching = true
        }
        log.add(
            .info,
            "firmware: slot \(runningSlot) on trial; validating after \(settings.healthWindowSeconds) s of healthy services, "
                + "falling back if not within \(settings.validationDeadlineSeconds) s",
            service: nil, at: clock())
        spawnThread { [self] in
            var lastRestarts: Int?
            while lock.withLock({ watching }) {
                // The agent stopping ends the watch: its loop answers no more.
                guard let health = agent.permanentServiceHealth() else { return }
                let crashed = lastRestarts.map { $0 != health.restarts } ?? false
                lastRestarts = health.restarts
                let healthy = health.allHealthy && !crashed
                let verdict: HealthGate.Verdict? = lock.withLock {
                    guard watching, var current = gate else { return nil }
                    let verdict = current.observe(healthy: healthy, now: monotonicNanoseconds())
                    gate = current
                    if !healthy { gateNote = health.problem ?? "a permanent service restarted" }
                    else if verdict == .waiting { gateNote = "services healthy, window running" }
                    return verdict
                }
                switch verdict {
                case .passed?:
                    stopWatching()
                    if settings.autoValidate {
                        do {
                            try validate(reason: "services healthy for \(settings.healthWindowSeconds) s")
                        } catch {
                            log.add(.error, "firmware: validation failed: \(error)", service: nil, at: clock())
                        }
                    } else {
                        lock.withLock { gateNote = "services healthy; waiting for fw validate" }
                    }
                case .expired?:
                    stopWatching()
                    let reason = "not healthy within \(settings.validationDeadlineSeconds) s (\(lock.withLock { gateNote } ?? "unknown"))"
                    journalLock.withLock {
                        var journal = Self.loadJournal(journalPath, log: log, clock: clock)
                        journal.trialFailure = reason
                        try? journal.save(journalPath)
                    }
                    log.add(.error, "firmware: slot \(runningSlot) \(reason); rebooting to fall back", service: nil, at: clock())
                    if let reboot {
                        reboot("firmware health gate: " + reason)
                    } else {
                        log.add(.error, "firmware: this agent cannot reboot the board; reboot it by hand", service: nil, at: clock())
                    }
                default:
                    break
                }
                Self.sleep(nanoseconds: 100_000_000)
            }
        }
    }

    /// Stops the health gate's thread (before the agent shuts down).
    public func stopWatching() {
        lock.withLock { watching = false }
    }

    /// The journal, or an empty one (reported) if it cannot be read: it only adds the why,
    /// so losing it must never keep the agent from starting.
    static func loadJournal(_ path: String, log: LogBook, clock: () -> UInt64) -> FirmwareJournal {
        do {
            return try FirmwareJournal.load(path)
        } catch {
            log.add(.error, "firmware: \(error); starting a new one", service: nil, at: clock())
            return FirmwareJournal()
        }
    }

    static func sleep(nanoseconds: UInt64) {
        let lock = ConditionLock()
        lock.withLock { lock.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + nanoseconds) }
    }

    /// The boot environment, read and changed through the one place that knows its variables.
    private var chooser: BootChooser { BootChooser(environment: layout.environment) }
}
