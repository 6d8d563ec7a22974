import Agent
import Firmware
import Platform
import Synchronization
import Updates

/// One `fwup` stream, written into the inactive slot off the SSH event loop: the writes,
/// the fsync and the read-back run in order on a worker of their own, so a slow slot never
/// freezes the other sessions. The session stops reading (TCP backpressure reaches the
/// sender) while more than `pendingLimit` bytes wait for the worker.
/// The installer is taken only by jobs on `worker`, one at a time, in order; its Mutex
/// makes that hand-over explicit.
final class FirmwareUpload: Sendable {
    /// What the session is told when the worker is done with a piece of the stream.
    enum Outcome: Sendable {
        /// Written; the bytes still waiting for the worker.
        case written(pending: Int)
        /// Refused (the reason); nothing more is written, and the install is ended.
        case refused(String)
        /// The whole image verified and committed: the line to show.
        case committed(String)
    }

    static let pendingLimit = 1 << 20

    private let installer: Mutex<FirmwareInstaller>
    private let firmware: FirmwareManager
    private let worker = BackgroundWorker(priority: .normal)
    /// `over`: refused, committed or abandoned; nothing more is done.
    private let state = Mutex((pending: 0, over: false))

    init(installer: sending FirmwareInstaller, firmware: FirmwareManager) {
        self.installer = Mutex(installer)
        self.firmware = firmware
    }

    /// Queues `bytes` for the slot; `done` is called on the worker thread once written
    /// (or refused). Returns the bytes now waiting, for the caller's backpressure.
    @discardableResult
    func feed(_ bytes: [UInt8], done: @escaping @Sendable (Outcome) -> Void) -> Int {
        let waiting = state.withLock { state -> Int in
            state.pending += bytes.count
            return state.pending
        }
        worker.submit { [self] in
            guard !state.withLock({ $0.over }) else { return }
            do {
                try installer.withLock { installer throws(FirmwareRefusal) in try installer.feed(bytes[...]) }
                done(.written(pending: state.withLock { state -> Int in
                    state.pending -= bytes.count
                    return state.pending
                }))
            } catch {
                fail("\(error)", done)
            }
        }
        return waiting
    }

    /// Queues the end of the stream: verify, sync, read back, commit; `done` says how it went.
    func finish(done: @escaping @Sendable (Outcome) -> Void) {
        worker.submit { [self] in
            guard !state.withLock({ $0.over }) else { return }
            do {
                let line = try installer.withLock { installer throws(FirmwareRefusal) -> String in
                    try installer.finish()
                    firmware.endInstall(installer)
                    return installer.phase.description
                }
                state.withLock { $0.over = true }
                done(.committed(line))
            } catch {
                fail("\(error)", done)
            }
        }
    }

    /// Gives the install up (the client went away): after what is queued, nothing more.
    func abandon() {
        worker.submit { [self] in
            guard !state.withLock({ $0.over }) else { return }
            state.withLock { $0.over = true }
            installer.withLock { firmware.endInstall($0) }
        }
    }

    private func fail(_ reason: String, _ done: @Sendable (Outcome) -> Void) {
        state.withLock { $0.over = true }
        installer.withLock { firmware.endInstall($0) }
        done(.refused(reason))
    }
}
