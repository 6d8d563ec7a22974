#if canImport(Glibc)
import Glibc
#endif
import CUBootEnv
import Platform

/// The U-Boot environment through libubootenv, configured by an `fw_env.config` (block
/// devices, MTD or plain files, one or two redundant copies). `fw_printenv -c CONFIG`
/// reads exactly what this writes.
public struct UBootEnvironment: Sendable {
    public let configPath: String

    public init(configPath: String) {
        self.configPath = configPath
    }

    /// Every variable of the current valid copy.
    public func variables() throws(BootEnvironmentError) -> [String: String] {
        let context = try open()
        defer { close(context) }
        var values: [String: String] = [:]
        var entry: UnsafeMutableRawPointer? = nil
        while let next = libuboot_iterator(context, entry) {
            if let name = libuboot_getname(next), let value = libuboot_getvalue(next) {
                values[String(cString: name)] = String(cString: value)
            }
            entry = next
        }
        return values
    }

    /// Applies every change (`nil` deletes) in one store: libubootenv writes the whole
    /// environment to the older copy, so a torn write leaves the previous copy current.
    /// libubootenv holds fw_setenv's lock (`/var/lock/fw_printenv.lock`) from open to close.
    public func store(_ changes: [(String, String?)]) throws(BootEnvironmentError) {
        let context = try open()
        defer { close(context) }
        for (name, value) in changes {
            guard Self.isValidName(name), value.map(Self.isValidValue) ?? true else {
                throw BootEnvironmentError("invalid variable \(name)=\(value ?? "")")
            }
            let status: Int32 = value.map { libuboot_set_env(context, name, $0) } ?? libuboot_set_env(context, name, nil)
            guard status == 0 else { throw BootEnvironmentError("cannot set \(name): \(Self.reason(status))") }
        }
        let status = libuboot_env_store(context)
        guard status == 0 else {
            throw BootEnvironmentError("cannot store the boot environment (\(configPath)): \(Self.reason(status))")
        }
    }

    /// One redundant copy as it is on its device.
    enum CopyCondition: Equatable {
        case missing
        /// It could not be read (permissions, I/O): nothing is known, nothing is rewritten.
        case unreadable
        case short(Int)
        case badChecksum
        case valid(flags: UInt8)
    }

    /// Mends a redundant environment whose copies are files (the simulated board, a boot
    /// partition's `uboot.env`): libubootenv refuses to open one with a copy missing or
    /// short, which would defeat the redundancy. A missing, short or corrupt copy beside a
    /// valid one is rewritten from it, one generation older, so the valid copy stays
    /// current. Nothing is done when no copy is valid (that stays an error) or when the
    /// copies are devices. Returns one line per copy mended, for the log.
    public func repair() throws(BootEnvironmentError) -> [String] {
        let copies = Self.copies(in: String(decoding: (try? FileSystem.read(configPath, limit: 64 << 10)) ?? [], as: UTF8.self))
        guard copies.count == 2, copies.allSatisfy({ Self.isPlainFile($0.path) }) else { return [] }
        let images = copies.map { Self.image(of: $0) }
        let conditions = images.map(\.condition)
        var notes: [String] = []
        for (index, condition) in conditions.enumerated() {
            let other = 1 - index
            guard case .valid(let flags) = conditions[other], var image = images[other].bytes else { continue }
            if case .valid = condition { continue }
            if condition == .unreadable { continue }
            image[4] = flags &- 1
            let copy = copies[index]
            let fd = Glibc.open(copy.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BootEnvironmentError("cannot repair \(copy.path): \(Self.reason(-errno))") }
            defer { Glibc.close(fd) }
            let written = image.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(copy.offset)) }
            guard written == image.count, fsync(fd) == 0 else {
                throw BootEnvironmentError("cannot repair \(copy.path): \(Self.reason(-errno))")
            }
            let why: String
            switch condition {
            case .missing: why = "missing"
            case .short(let count): why = "cut short (\(count) of \(copy.size) bytes)"
            default: why = "corrupt (bad CRC)"
            }
            notes.append("boot environment: \(copy.path) was \(why); rewritten from \(copies[other].path), which stays current")
        }
        return notes
    }

    struct Copy {
        let path: String
        let offset: Int
        let size: Int
    }

    /// The copies an `fw_env.config` names: `DEVICE OFFSET SIZE [SECTOR [COUNT]]` per line.
    static func copies(in config: String) -> [Copy] {
        config.split(separator: "\n").compactMap { line -> Copy? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, !fields[0].hasPrefix("#"), let offset = number(fields[1]), let size = number(fields[2]),
                offset >= 0, offset <= 1 << 40, size > 5, size <= 1 << 24
            else { return nil }
            return Copy(path: String(fields[0]), offset: offset, size: size)
        }
    }

    private static func number(_ text: Substring) -> Int? {
        text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }

    private static func isPlainFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) != 0 ? errno == ENOENT : (info.st_mode & S_IFMT) == S_IFREG
    }

    /// One copy's bytes (exactly its size at its offset, as libubootenv reads them) and
    /// what they amount to.
    private static func image(of copy: Copy) -> (bytes: [UInt8]?, condition: CopyCondition) {
        guard FileSystem.exists(copy.path) else { return (nil, .missing) }
        guard let file = try? BlockFile(path: copy.path, writable: false), let bytes = try? file.read(copy.size, at: copy.offset)
        else { return (nil, .unreadable) }
        return (bytes, condition(of: bytes, size: copy.size))
    }

    static func condition(of bytes: [UInt8], size: Int) -> CopyCondition {
        guard bytes.count == size else { return .short(bytes.count) }
        let stored = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        guard CRC32.checksum(bytes[5...]) == stored else { return .badChecksum }
        return .valid(flags: bytes[4])
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "=") }
    }

    static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 != 0 }
    }

    private func open() throws(BootEnvironmentError) -> OpaquePointer {
        var context: OpaquePointer?
        guard libuboot_initialize(&context, nil) == 0, let context else {
            throw BootEnvironmentError("libubootenv could not initialise")
        }
        let configured = libuboot_read_config(context, configPath)
        guard configured == 0 else {
            libuboot_exit(context)
            throw BootEnvironmentError("cannot read \(configPath): \(Self.reason(configured))")
        }
        let opened = libuboot_open(context)
        guard opened == 0 else {
            // libubootenv 0.3.2 keeps fw_setenv's lock after a failed open; close releases it.
            libuboot_close(context)
            libuboot_exit(context)
            throw BootEnvironmentError(
                "no valid copy of the boot environment in \(configPath) (\(Self.reason(opened))); "
                    + "refusing to go on with defaults")
        }
        return context
    }

    private func close(_ context: OpaquePointer) {
        libuboot_close(context)
        libuboot_exit(context)
    }

    private static func reason(_ status: Int32) -> String {
        String(cString: strerror(abs(status)))
    }
}
