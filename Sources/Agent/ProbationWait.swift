#if canImport(Glibc)
import Glibc
#endif
import Platform

extension AgentHandle {
    /// Off the loop thread: waits for the verdict on the swap `report` describes (about
    /// the probation window, `probationNanoseconds`). `.pending` only if the agent stopped
    /// or the verdict did not come within the window and a few seconds more.
    public func awaitProbation(of report: SwapReport) -> ProbationVerdict {
        let deadline = monotonicNanoseconds() + AgentHandle.probationNanoseconds + 5_000_000_000
        while true {
            guard let verdict = performIfRunning({ supervisor in
                supervisor.probations.verdict(
                    module: report.module, serial: report.serial,
                    onProbation: report.services.contains { supervisor.services[$0]?.previous != nil })
            }) else { return .pending }
            if verdict != .pending || monotonicNanoseconds() > deadline { return verdict }
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&pause, nil)
        }
    }
}

extension SwapReport {
    /// The line a pusher sees, with the probation `verdict` (nil: not waited for), and
    /// whether the push succeeded: swapped, stored and, when waited for, kept.
    public func outcome(_ verdict: ProbationVerdict?) -> (line: String, succeeded: Bool) {
        let window = AgentHandle.probationNanoseconds / 1_000_000_000
        let stored = storageProblem == nil
        switch verdict {
        case nil: return (description + "; on probation for \(window) s (not waited for)", stored)
        case .passed: return (description + "; passed its \(window) s probation", stored)
        case .rolledBack(let version, let reason): return (description + "; then rolled back to \(version) on probation: \(reason)", false)
        case .pending: return (description + "; no probation verdict came (the agent stopped, or its loop is held)", false)
        }
    }
}
