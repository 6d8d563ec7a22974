import ArgumentParser
import Boards
import Hardware
import JSON

/// A leaf of the `i2c` / `gpio` command trees: parsed by ArgumentParser, executed
/// against a `CommandContext`.
public protocol HardwareLeafCommand: ParsableCommand, ContextCommand {
    var options: BoardOptions { get }
}

extension HardwareLeafCommand {
    /// Runs the command as a process would: builds the context from `--board`, writes
    /// through `output`, and turns failures into one line on `errorOutput` and an exit status.
    public func runFromCommandLine(
        output: @escaping (String) -> Void, errorOutput: (String) -> Void, shouldStop: @escaping () -> Bool,
        sleep: @escaping (UInt64) -> Void
    ) throws {
        do {
            let backend: any HardwareBackend
            if let board = options.board {
                backend = try BoardLocator.standard().load(board).makeBackend()
            } else {
                backend = LinuxBoardFactory.make()
            }
            let context = CommandContext(
                backend: backend, allowsBoardSelection: true, output: output, shouldStop: shouldStop, sleep: sleep)
            try execute(in: context)
        } catch let failure as CommandFailure {
            errorOutput(failure.message)
            throw ExitCode(failure.exitStatus)
        } catch let error as HardwareError {
            errorOutput(error.description)
            throw ExitCode(error.kind == .invalidArgument ? 2 : 1)
        } catch let failure as BoardLocator.Failure {
            errorOutput(failure.message)
            throw ExitCode(2)
        }
    }

    /// Writes a JSON document or the human text, as `--json` asks.
    func emit(_ context: CommandContext, json: @autoclosure () -> JSONValue, text: @autoclosure () -> String) {
        if options.json {
            context.write(json().serialized)
        } else {
            let rendered = text()
            if !rendered.isEmpty { context.write(rendered) }
        }
    }
}
