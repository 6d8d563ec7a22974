#if canImport(Glibc)
import Glibc
#endif
import CUBootEnv

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
