#if canImport(Glibc)
import Glibc
#endif
import Platform

/// POSIX ustar archives: the simulated board's root filesystem images (a real board's
/// slot holds an ext4 or SquashFS image instead). Regular files and folders only; names
/// that are absolute or climb out with `..` are refused.
public enum TarArchive {
    static let blockSize = 512

    /// Packs `folder` (files and folders, sorted) into `output`.
    public static func pack(folder: String, to output: String) throws(FirmwareRefusal) {
        var archive: [UInt8] = []
        try append(folder: folder, relative: "", to: &archive)
        archive += [UInt8](repeating: 0, count: blockSize * 2)
        do {
            try FileSystem.writeAtomically(archive, to: output)
        } catch {
            throw FirmwareRefusal(.malformed, "cannot write \(error)")
        }
    }

    private static func append(folder: String, relative: String, to archive: inout [UInt8]) throws(FirmwareRefusal) {
        for name in FileSystem.list(folder).sorted() {
            let path = folder + "/" + name
            let entry = relative.isEmpty ? name : relative + "/" + name
            if FileSystem.isDirectory(path) {
                archive += try header(name: entry + "/", size: 0, type: UInt8(ascii: "5"), mode: 0o755)
                try append(folder: path, relative: entry, to: &archive)
            } else {
                let bytes: [UInt8]
                do {
                    bytes = try FileSystem.read(path, limit: 256 << 20)
                } catch {
                    throw FirmwareRefusal(.malformed, "cannot read \(error)")
                }
                archive += try header(name: entry, size: bytes.count, type: UInt8(ascii: "0"), mode: 0o644)
                archive += bytes
                archive += [UInt8](repeating: 0, count: (blockSize - bytes.count % blockSize) % blockSize)
            }
        }
    }

    private static func header(name: String, size: Int, type: UInt8, mode: Int) throws(FirmwareRefusal) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100 else { throw FirmwareRefusal(.malformed, "\(name): names longer than 100 bytes are not supported") }
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        block.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        block[156] = type
        put("ustar", at: 257)
        put("00", at: 263)
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        block[155] = 0x20
        return block
    }

    /// Reads the archive at the start of `file` and writes its files under `destination`.
    /// Returns the paths written (relative), in archive order.
    @discardableResult
    public static func extract(from file: BlockFile, to destination: String) throws(FirmwareRefusal) -> [String] {
        var offset = 0
        var written: [String] = []
        while true {
            let block = try file.read(blockSize, at: offset)
            guard block.count == blockSize else { throw FirmwareRefusal(.malformed, "\(file.path): the archive ends inside a header") }
            if block.allSatisfy({ $0 == 0 }) { return written }
            guard Array(block[257..<262]) == Array("ustar".utf8) else { throw FirmwareRefusal(.malformed, "\(file.path): not a ustar archive") }
            let stored = octal(block[148..<156])
            var sumBlock = block
            for index in 148..<156 { sumBlock[index] = 0x20 }
            guard sumBlock.reduce(0, { $0 + Int($1) }) == stored else { throw FirmwareRefusal(.malformed, "\(file.path): header checksum mismatch at \(offset)") }
            let name = text(block[0..<100])
            let prefix = text(block[345..<500])
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let size = octal(block[124..<136])
            let components = path.split(separator: "/").filter { $0 != "." }
            guard !path.hasPrefix("/"), !components.contains("..") else {
                throw FirmwareRefusal(.malformed, "\(file.path): refusing the path \(path) (absolute or climbing out)")
            }
            // Checked against the file before anything is allocated for it.
            guard size <= (try file.size()) - offset - blockSize else {
                throw FirmwareRefusal(.malformed, "\(file.path): \(path) claims \(size) bytes, more than the archive holds")
            }
            offset += blockSize
            let target = destination + "/" + components.joined(separator: "/")
            switch block[156] {
            case UInt8(ascii: "5"):
                try makeFolders(target)
            case UInt8(ascii: "0"), 0:
                try makeFolders(FileSystem.parent(target))
                let bytes = try file.read(size, at: offset)
                guard bytes.count == size else { throw FirmwareRefusal(.malformed, "\(file.path): \(path) is cut short") }
                do {
                    try FileSystem.writeAtomically(bytes, to: target)
                } catch {
                    throw FirmwareRefusal(.malformed, "cannot write \(error)")
                }
                written.append(components.joined(separator: "/"))
            default:
                break  // Links, devices and the like: nothing the simulated board runs.
            }
            offset += (size + blockSize - 1) / blockSize * blockSize
        }
    }

    private static func octal(_ field: ArraySlice<UInt8>) -> Int {
        field.reduce(0) { ($1 >= 0x30 && $1 <= 0x37) ? $0 * 8 + Int($1 - 0x30) : $0 }
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func makeFolders(_ path: String) throws(FirmwareRefusal) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw FirmwareRefusal(.malformed, "cannot create \(current): \(BlockFile.lastError())")
            }
        }
    }
}
