#if canImport(Glibc)
import Glibc
#endif

/// A file or block device opened for whole-block reads and writes at offsets, with
/// errors that name the path. Closed by `close()` (or when the installer ends).
public final class BlockFile {
    public let path: String
    private var descriptor: Int32

    public init(path: String, writable: Bool) throws(FirmwareRefusal) {
        self.path = path
        descriptor = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw FirmwareRefusal(.storage, "cannot open \(path): \(Self.lastError())") }
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// The size in bytes (of a block device too: its end offset).
    public func size() throws(FirmwareRefusal) -> Int {
        let end = lseek(descriptor, 0, SEEK_END)
        guard end >= 0 else { throw FirmwareRefusal(.storage, "cannot size \(path): \(Self.lastError())") }
        return Int(end)
    }

    public func write(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(FirmwareRefusal) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw FirmwareRefusal(.storage, "cannot write \(path) at \(offset + done): \(Self.lastError())") }
            done += written
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    public func read(_ count: Int, at offset: Int) throws(FirmwareRefusal) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
            }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw FirmwareRefusal(.storage, "cannot read \(path) at \(offset + done): \(Self.lastError())") }
            if got == 0 { break }
            done += got
        }
        return done == count ? bytes : Array(bytes[0..<done])
    }

    public func sync() throws(FirmwareRefusal) {
        guard fsync(descriptor) == 0 else { throw FirmwareRefusal(.storage, "cannot sync \(path): \(Self.lastError())") }
    }

    /// Drops this file's cached pages (after a sync), so the next reads come from storage.
    public func dropCache() {
        _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED))
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
