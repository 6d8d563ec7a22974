import JSON
import Platform

/// Finds and loads a board folder by name (`sim`) or path (`board/sim`, `./my-board.json`).
public struct BoardLocator: Sendable {
    /// Folders that hold board folders, searched in order.
    public var searchPath: [String]

    public init(searchPath: [String]) {
        self.searchPath = searchPath
    }

    /// `$MIDFLIGHT_BOARD_PATH` (colon-separated), `./board`, then `board/` and
    /// `share/midflight/board` beside or above the running executable — so a built tree,
    /// an installed tree and the source checkout all find their boards.
    public static func standard() -> BoardLocator {
        var path: [String] = []
        if let variable = FileSystem.environment("MIDFLIGHT_BOARD_PATH") {
            path += variable.split(separator: ":").map(String.init)
        }
        return BoardLocator(searchPath: path + FileSystem.resourceCandidates("board"))
    }

    /// A board that cannot be found or read.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Loads a board by name or by a path to its folder or its `board.json`.
    public func load(_ nameOrPath: String) throws(Failure) -> BoardDescription {
        let file = try locate(nameOrPath)
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(file, limit: 1 << 20)
        } catch {
            throw Failure(message: "cannot read board file \(error)")
        }
        do {
            return try BoardFileParser.parse(bytes, file: file, folder: FileSystem.parent(file))
        } catch {
            throw Failure(message: error.description)
        }
    }

    private func locate(_ nameOrPath: String) throws(Failure) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") {
            if FileSystem.isDirectory(nameOrPath) {
                let file = nameOrPath + "/" + BoardFileParser.fileName
                guard FileSystem.exists(file) else {
                    throw Failure(message: "\(nameOrPath) has no \(BoardFileParser.fileName)")
                }
                return file
            }
            guard FileSystem.exists(nameOrPath) else { throw Failure(message: "no board file at \(nameOrPath)") }
            return nameOrPath
        }
        guard !nameOrPath.isEmpty, !nameOrPath.hasPrefix(".") else {
            throw Failure(message: "'\(nameOrPath)' is not a board name")
        }
        for directory in searchPath {
            let file = directory + "/" + nameOrPath + "/" + BoardFileParser.fileName
            if FileSystem.exists(file) { return file }
        }
        let known = Set(searchPath.flatMap { directory in
            FileSystem.list(directory).filter { FileSystem.exists(directory + "/" + $0 + "/" + BoardFileParser.fileName) }
        }).sorted()
        throw Failure(
            message: "unknown board '\(nameOrPath)'"
                + (known.isEmpty ? " (no board folders found; set MIDFLIGHT_BOARD_PATH)" : " (known boards: \(known.joined(separator: ", ")))"))
    }
}
