import ArgumentParser
import Boards
import Hardware

/// `--board NAME|PATH`: which board's hardware to use. Without it the real hardware of
/// this machine (`/dev/i2c-*`, `/dev/gpiochip*`) is used, as i2c-tools and gpiod do.
public struct BoardOptions: ParsableArguments {
    @Option(name: .long, help: "Board name (sim, raspberrypi4, …) or path to a board folder; default: this machine's /dev.")
    public var board: String?

    @Flag(name: .long, help: "Print JSON instead of the human table.")
    public var json = false

    public init() {}

    /// Refuses `--board` where the board is fixed (the agent's console).
    public func check(_ context: CommandContext) throws {
        if board != nil, !context.allowsBoardSelection {
            throw CommandFailure("--board is not available here: the console uses the agent's board", exitStatus: 2)
        }
    }
}
