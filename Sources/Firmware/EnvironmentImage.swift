import Platform

/// A U-Boot environment image as `mkenvimage` makes it: CRC-32 (little-endian), a flags
/// byte in redundant copies, then `name=value\0…\0\0` padded with zeros. Used only to
/// create a board's first environment, since libubootenv refuses to open one with no
/// valid copy (rightly: it must not invent a default).
public enum EnvironmentImage {
    /// One copy of `size` bytes holding `variables` (sorted by name).
    public static func make(_ variables: [String: String], size: Int, redundant: Bool, flags: UInt8 = 1) throws(BootEnvironmentError) -> [UInt8] {
        let headerSize = redundant ? 5 : 4
        var data: [UInt8] = []
        for name in variables.keys.sorted() {
            guard UBootEnvironment.isValidName(name), let value = variables[name], UBootEnvironment.isValidValue(value) else {
                throw BootEnvironmentError("invalid variable \(name)")
            }
            data += Array(name.utf8) + [UInt8(ascii: "=")] + Array(value.utf8) + [0]
        }
        data.append(0)
        guard data.count <= size - headerSize else {
            throw BootEnvironmentError("\(data.count) bytes of variables do not fit an environment of \(size) bytes")
        }
        data += [UInt8](repeating: 0, count: size - headerSize - data.count)
        let crc = CRC32.checksum(data)
        var image = [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        if redundant { image.append(flags) }
        return image + data
    }

    /// Creates a file-backed redundant environment in `folder` (`uboot.env`,
    /// `uboot-redund.env`) unless one is there, and the `fw_env.config` naming them by
    /// absolute path (rewritten if the folder moved). Returns the config's path.
    @discardableResult
    public static func createFileBacked(in folder: String, size: Int, initial: [String: String]) throws(BootEnvironmentError) -> String {
        // Absolute paths in the config: libubootenv and fw_printenv run from anywhere.
        let folder = folder.hasPrefix("/") ? folder : FileSystem.currentDirectory() + "/" + folder
        let config = folder + "/fw_env.config"
        let first = folder + "/uboot.env"
        let second = folder + "/uboot-redund.env"
        if !FileSystem.exists(first) && !FileSystem.exists(second) {
            // The second copy starts one generation older, so the first is current.
            try write(try make(initial, size: size, redundant: true, flags: 1), to: first)
            try write(try make(initial, size: size, redundant: true, flags: 0), to: second)
        }
        let hexSize = "0x" + String(size, radix: 16)
        let text = """
            # File-backed U-Boot environment of the simulated board (fw_printenv -c \(config)).
            # Device  Offset  Size
            \(first) 0x0000 \(hexSize)
            \(second) 0x0000 \(hexSize)

            """
        if (try? FileSystem.read(config, limit: 4096)) != Array(text.utf8) { try write(Array(text.utf8), to: config) }
        return config
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(BootEnvironmentError) {
        do {
            try FileSystem.writeAtomically(bytes, to: path)
        } catch {
            throw BootEnvironmentError("cannot write \(error)")
        }
    }
}
