#if canImport(Glibc)
import Glibc
#endif
import Platform

/// Where a board keeps its firmware: the two slot devices and the boot environment's
/// `fw_env.config`. Simulated boards keep both in the data folder, as files.
public struct FirmwareLayout: Sendable {
    public let slots: [FirmwareSlot: String]
    /// The usable size of a slot; `nil` means the device's own size.
    public let slotSize: Int?
    public let environment: UBootEnvironment
    /// What making the layout had to say (a boot environment created again), for the log.
    public var notes: [String] = []

    public init(slots: [FirmwareSlot: String], slotSize: Int?, environmentConfig: String) {
        self.slots = slots
        self.slotSize = slotSize
        environment = UBootEnvironment(configPath: environmentConfig)
    }

    public func device(_ slot: FirmwareSlot) -> String { slots[slot] ?? "" }

    /// The size a slot may hold.
    public func capacity(of slot: FirmwareSlot) throws(FirmwareRefusal) -> Int {
        if let slotSize { return slotSize }
        return try BlockFile(path: device(slot), writable: false).size()
    }

    /// The layout a board folder describes (its `firmware` section: `slots` by name `a`
    /// and `b`, their size, the environment's size; and its `fw_env.config`, if it names
    /// one). For a board whose slots are files (the simulated board), relative paths are in
    /// `dataDirectory` and the files and a file-backed environment are created on first
    /// use, slot A holding `factoryVersion`. Nil when the slots are not both named.
    public static func described(
        slots named: [String: String], slotSize: Int?, environmentSize: Int, environmentConfig given: String?, dataDirectory: String,
        factoryVersion: String
    ) throws(FirmwareRefusal) -> FirmwareLayout? {
        var notes: [String] = []
        var slots: [FirmwareSlot: String] = [:]
        for slot in FirmwareSlot.allCases {
            guard let path = named[slot.rawValue] else { return nil }
            slots[slot] = path.hasPrefix("/") ? path : dataDirectory + "/" + path
        }
        let config: String
        if let given {
            config = given
        } else {
            for slot in FirmwareSlot.allCases {
                let path = slots[slot]!
                guard !FileSystem.exists(path) else { continue }
                let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                guard fd >= 0, ftruncate(fd, off_t(slotSize ?? 0)) == 0 else {
                    throw FirmwareRefusal(.storage, "cannot create slot file \(path): \(BlockFile.lastError())")
                }
                close(fd)
            }
            // Both copies gone on a board that booted before: as U-Boot boots on its built-in
            // environment, the board starts again from the factory one, and says so.
            let copiesGone = !FileSystem.exists(dataDirectory + "/uboot.env") && !FileSystem.exists(dataDirectory + "/uboot-redund.env")
            let bootedBefore = FileSystem.exists(dataDirectory + "/firmware.json") || FileSystem.exists(dataDirectory + "/cmdline")
            if copiesGone && bootedBefore {
                notes.append(
                    "boot environment: both copies (uboot.env, uboot-redund.env) are gone; created the factory environment "
                        + "(slot A \(factoryVersion), slot B bad until it is installed again)")
            }
            do {
                config = try EnvironmentImage.createFileBacked(
                    in: dataDirectory, size: environmentSize, initial: BootVariables.factory(version: factoryVersion))
            } catch {
                throw FirmwareRefusal(.bootEnvironment, "\(error)")
            }
        }
        var layout = FirmwareLayout(slots: slots, slotSize: slotSize, environmentConfig: config)
        layout.notes = notes
        return layout
    }
}
