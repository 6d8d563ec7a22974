import ArgumentParser
import Hardware

/// Runs console lines (`i2c scan 1`, `sim press button`, `help`) against a context.
/// Each line is one command; the result is its exit status, output went to the context.
public struct ConsoleInterpreter {
    public let context: CommandContext
    /// The commands this console knows, by first word.
    public let groups: [(name: String, command: any ParsableCommand.Type)]

    /// The hardware commands every console has.
    public static let hardwareGroups: [(name: String, command: any ParsableCommand.Type)] = [
        ("i2c", I2CCommand.self), ("gpio", GPIOCommand.self), ("sim", SimCommand.self),
    ]

    /// Runs a parsed command that is not a `ContextCommand` (an agent's command, which
    /// needs more than the context); false when it does not know the command either.
    let runOther: (any ParsableCommand) throws -> Bool

    public init(
        context: CommandContext, groups: [(name: String, command: any ParsableCommand.Type)] = ConsoleInterpreter.hardwareGroups,
        runOther: @escaping (any ParsableCommand) throws -> Bool = { _ in false }
    ) {
        self.context = context
        self.groups = groups
        self.runOther = runOther
    }

    /// Executes one line; returns the exit status (0 success, 1 failure, 2 bad usage).
    public func execute(_ line: String) -> Int32 {
        let words: [String]
        do {
            words = try ConsoleInterpreter.split(line)
        } catch {
            context.write("error: \(error.message)")
            return 2
        }
        guard let first = words.first else { return 0 }
        if first == "help" || first == "?" {
            return help(Array(words.dropFirst()))
        }
        guard let group = groups.first(where: { $0.name == first }) else {
            context.write("error: unknown command '\(first)'; try 'help'")
            return 2
        }
        let arguments = Array(words.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") || arguments.first == "help" {
            let path = arguments.filter { !$0.hasPrefix("-") && $0 != "help" }
            context.write(group.command.helpMessage(for: ConsoleInterpreter.subcommand(group.command, path), columns: 80))
            return 0
        }
        do {
            let parsed = try group.command.parseAsRoot(arguments)
            if let runnable = parsed as? any ContextCommand {
                try runnable.execute(in: context)
            } else if try !runOther(parsed) {
                context.write(group.command.helpMessage(for: type(of: parsed), columns: 80))
            }
            return 0
        } catch let failure as CommandFailure {
            context.write("error: \(failure.message)")
            return failure.exitStatus
        } catch let error as HardwareError {
            context.write("error: \(error)")
            return error.kind == .invalidArgument ? 2 : 1
        } catch {
            // ArgumentParser's own errors: a help request, or a usage mistake.
            if group.command.exitCode(for: error) == .success {
                context.write(group.command.fullMessage(for: error, columns: 80))
                return 0
            }
            context.write("error: " + group.command.message(for: error))
            let path = arguments.filter { !$0.hasPrefix("-") }
            context.write("usage: " + group.command.usageString(for: ConsoleInterpreter.subcommand(group.command, path)))
            return 2
        }
    }

    private func help(_ topic: [String]) -> Int32 {
        if let name = topic.first {
            guard let group = groups.first(where: { $0.name == name }) else {
                context.write("error: no help for '\(name)'; commands: \(groups.map(\.name).joined(separator: ", "))")
                return 2
            }
            context.write(group.command.helpMessage(for: ConsoleInterpreter.subcommand(group.command, Array(topic.dropFirst())), columns: 80))
            return 0
        }
        context.write("Commands (help COMMAND for details):")
        for (name, command) in groups {
            context.write("  " + name.padding(6) + command.configuration.abstract)
        }
        context.write("  " + "help".padding(6) + "This list, or help for one command.")
        context.write("  " + "exit".padding(6) + "Leave the console (Ctrl-D too).")
        return 0
    }

    /// The deepest subcommand of `root` that `words` name (`["scan", "1"]` → Scan).
    static func subcommand(_ root: any ParsableCommand.Type, _ words: [String]) -> any ParsableCommand.Type {
        var current = root
        for word in words {
            guard let next = current.configuration.subcommands.first(where: { $0._commandName == word }) else { break }
            current = next
        }
        return current
    }

    /// Splits a line into words; double or single quotes group words, backslash escapes.
    public static func split(_ line: String) throws(CommandFailure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                inWord = true
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quote != nil { throw CommandFailure("unterminated quote", exitStatus: 2) }
        if escaped { throw CommandFailure("line ends with a backslash", exitStatus: 2) }
        if inWord { words.append(current) }
        return words
    }
}

extension String {
    func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: Swift.max(0, width - count))
    }
}
