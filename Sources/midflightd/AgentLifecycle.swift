import Agent
import ControlServer
import RemoteAccess
import Synchronization
import Updates

/// The one owner of what `midflightd` runs: the parts start in order (the agent, its
/// watchdog feeder, the firmware health gate, the SSH server) and stop in reverse, once,
/// whoever asks first: a reboot, SIGTERM, or the end of the console. swift-service-
/// lifecycle's `ServiceGroup` is the model; what the process does after (exit, exec, the
/// kernel's reboot) is the caller's.
final class AgentLifecycle: Sendable {
    /// Where the process is; only `starting` and `running` can begin a stop.
    enum State: Equatable, Sendable {
        case starting
        case running
        case stopping
        case stopped

        /// The state after asking to stop, and whether this ask is the one that stops.
        func stopping() -> (State, Bool) {
            switch self {
            case .starting, .running: return (.stopping, true)
            case .stopping, .stopped: return (self, false)
            }
        }
    }

    /// Why the agent stops: a reboot leaves the hardware watchdog armed (if the reboot
    /// hangs, it finishes it); the other endings disarm it.
    enum Ending: Sendable, Equatable {
        case reboot
        case signal
        case consoleClosed
    }

    let handle: AgentHandle
    let firmware: FirmwareManager?
    let watchdog: Watchdog?
    private let state = Mutex(State.starting)
    private let server = Mutex<SSHServer?>(nil)
    private let control = Mutex<ControlServer?>(nil)

    init(handle: AgentHandle, firmware: FirmwareManager?, watchdog: Watchdog?) {
        self.handle = handle
        self.firmware = firmware
        self.watchdog = watchdog
    }

    var current: State { state.withLock { $0 } }

    /// Starts the agent and the watchdog's feeder, then the trial boot's health gate.
    func start(reboot: @escaping @Sendable (String) -> Void) {
        handle.start()
        watchdog?.start()
        firmware?.watchTrial(of: handle, reboot: reboot)
    }

    /// Keeps the SSH server (started last, or later at a SIGHUP) to stop it first; false,
    /// with the server stopped, when the agent is already stopping.
    @discardableResult
    func attach(_ started: SSHServer) -> Bool {
        let kept = state.withLock { current in
            guard current == .starting || current == .running else { return false }
            server.withLock { $0 = started }
            return true
        }
        if !kept { started.shutdown() }
        return kept
    }

    var sshServer: SSHServer? { server.withLock { $0 } }

    /// Keeps the control socket's server (started after the agent) to stop it first.
    func attach(_ started: ControlServer) {
        let kept = state.withLock { current in
            guard current == .starting || current == .running else { return false }
            control.withLock { $0 = started }
            return true
        }
        if !kept { started.shutdown() }
    }

    /// Everything is up.
    func markRunning() {
        state.withLock { if $0 == .starting { $0 = .running } }
    }

    /// Stops every part in reverse order of start and returns true, for the first caller
    /// only; later callers return false at once (the first one ends the process).
    /// `announce` runs first, for the stopping caller only.
    @discardableResult
    func stop(_ ending: Ending, announce: () -> Void = {}) -> Bool {
        let first = state.withLock { current -> Bool in
            let (next, stops) = current.stopping()
            current = next
            return stops
        }
        guard first else { return false }
        announce()
        // A reboot stops feeding the watchdog first, armed: if the stop hangs, it reboots the board.
        if ending == .reboot { watchdog?.stop(disarm: false) }
        control.withLock { $0 }?.shutdown()
        sshServer?.shutdown()
        // An install streaming when the connection closed finishes or gives up on its own
        // worker: the process must not end in the middle of switching the boot environment.
        firmware?.waitForInstallToEnd(timeoutNanoseconds: 30_000_000_000)
        firmware?.stopWatching()
        if ending != .reboot { watchdog?.stop(disarm: true) }
        // What the loop decided to store (a swap's record, a rollback's revert) reaches the disk first.
        handle.shutdown()
        state.withLock { $0 = .stopped }
        return true
    }
}
