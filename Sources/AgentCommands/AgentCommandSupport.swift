import Agent
import ArgumentParser
import HardwareCommands
import JSON
import Updates

/// Runs `body` on the agent's loop thread; a refusal becomes a one-line failure, and so
/// does an agent that is stopping (its loop takes no more work).
func onAgent<Result: Sendable>(_ context: AgentContext, _ body: @escaping @Sendable (ConsoleRequests) throws(AgentRefusal) -> Result) throws -> Result {
    let answer = context.agent.handle.performIfRunning { supervisor in
        Swift.Result { () throws(AgentRefusal) -> Result in try body(supervisor.console) }
    }
    guard let outcome = answer else { throw CommandFailure("the agent is stopping", exitStatus: 1) }
    switch outcome {
    case .success(let value): return value
    case .failure(let refusal): throw CommandFailure(refusal.description, exitStatus: 1)
    }
}

/// Runs `body` on the console's own thread (work that takes the loop thread only briefly
/// itself, like a hot swap); a refusal becomes a one-line failure.
func offLoop<Result, Refusal: Error & CustomStringConvertible>(
    _ context: AgentContext, _ body: (AgentHandle) throws(Refusal) -> Result
) throws -> Result {
    do {
        return try body(context.agent.handle)
    } catch {
        throw CommandFailure(error.description, exitStatus: 1)
    }
}

/// Columns padded to the widest cell.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    return ([header] + rows).map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// `--json` for the agent's commands.
struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of the human table.") var json = false
}

/// `SERVICE.PARAM` split, with a clear refusal.
func serviceAndParameter(_ text: String) throws -> (String, String) {
    let parts = text.split(separator: ".", maxSplits: 1)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw CommandFailure("'\(text)' is not SERVICE.PARAMETER (e.g. rtc.aging)", exitStatus: 2)
    }
    return (String(parts[0]), String(parts[1]))
}

func number(_ value: Double) -> JSONValue { .number(value) }
