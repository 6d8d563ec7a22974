#if canImport(Glibc)
import Glibc
#endif
import Agent
import Boards
import Firmware
import Platform
import Updates

/// A power-on of the simulated board: the bootloader model picks a slot from the boot
/// environment (and saves what it changes, as U-Boot's `saveenv` does), then the slot's
/// root filesystem is unpacked so the agent runs that firmware's config and modules.
/// An empty slot A is the factory image: the board folder's own `agent.json`.
struct SimulatedBoot {
    let layout: FirmwareLayout
    let slot: FirmwareSlot
    /// The unpacked root filesystem, or nil for the factory image or an unusable slot.
    let root: String?
    /// What the boot said, for the log.
    let message: String
    /// What was mended on the way (a boot environment copy), for the log as errors.
    var notes: [String] = []
    /// Slot A holds no image yet: the board folder's own config runs.
    var isFactoryImage = false

    /// Why the chosen slot cannot run: the simulated kernel "panics" and the board reboots.
    struct Panic: Error, CustomStringConvertible {
        let description: String
    }

    static func powerOn(board: BoardDescription, dataDirectory: String) throws(FirmwareRefusal) -> SimulatedBoot? {
        guard let layout = try FirmwareLayout.forBoard(board, dataDirectory: dataDirectory, factoryVersion: FirmwareManager.factoryVersion)
        else { return nil }
        let variables: [String: String]
        let notes: [String]
        do {
            notes = layout.notes + (try layout.environment.repair())
            variables = try layout.environment.variables()
        } catch {
            throw FirmwareRefusal(.bootEnvironment, error.description)
        }
        let boot = BootloaderModel.boot(variables)
        if !boot.changes.isEmpty {
            do {
                try layout.environment.store(boot.changes.sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) })
            } catch {
                throw FirmwareRefusal(.bootEnvironment, error.description)
            }
        }
        // What the kernel command line says on a real board: the slot booted.
        // Written only when it changes; a full data partition must not stop the boot, and a
        // stale file is worse than none (without it the agent reads boot_slot, which agrees).
        let cmdline = dataDirectory + "/cmdline"
        let text = Array("midflight.slot=\(boot.slot.rawValue)\n".utf8)
        var warning = ""
        if (try? FileSystem.read(cmdline, limit: 4096)) != text {
            do {
                try FileSystem.writeAtomically(text, to: cmdline)
            } catch {
                unlink(cmdline)
                warning = "; cannot record the booted slot (\(error)), going on without it"
            }
        }
        var message = "bootloader: slot \(boot.slot)"
        if boot.fellBack {
            message += " (fell back: bootcount past bootlimit \(variables[BootVariables.bootLimit] ?? "1"), altbootcmd)"
        } else if let count = boot.changes[BootVariables.bootCount], BootState(variables).state(of: boot.slot) == .trial {
            message += " (trial boot \(count) of \(variables[BootVariables.bootLimit] ?? "1"))"
        }
        message += warning
        // Unpacked once per image: a boot of the same image uses what was unpacked before
        // (recorded with the slot's version and its first block), so a full data partition
        // does not stop a board from booting the firmware it already runs.
        let root = dataDirectory + "/rootfs-" + boot.slot.rawValue
        let staging = root + ".new"
        let marker = root + ".image"
        FileSystem.removeTree(staging)
        let device = try BlockFile(path: layout.device(boot.slot), writable: false)
        let first = try device.read(512, at: 0)
        if first.allSatisfy({ $0 == 0 }) {
            FileSystem.removeTree(root)
            guard boot.slot == .a else { return SimulatedBoot(layout: layout, slot: boot.slot, root: nil, message: message + ", empty", notes: notes) }
            return SimulatedBoot(layout: layout, slot: boot.slot, root: nil, message: message + ", factory image", notes: notes, isFactoryImage: true)
        }
        let image = Array((variables[BootVariables.version(boot.slot)] ?? "").utf8) + [0] + first
        if FileSystem.exists(root), (try? FileSystem.read(marker, limit: 4096)) == image {
            return SimulatedBoot(layout: layout, slot: boot.slot, root: root, message: message, notes: notes)
        }
        unlink(marker)
        do {
            try TarArchive.extract(from: device, to: staging)
            FileSystem.removeTree(root)
            guard rename(staging, root) == 0 else {
                throw FirmwareRefusal(.storage, "cannot rename \(staging) to \(root): \(String(cString: strerror(errno)))")
            }
            try? FileSystem.writeAtomically(image, to: marker)
        } catch {
            FileSystem.removeTree(staging)
            FileSystem.removeTree(root)
            return SimulatedBoot(layout: layout, slot: boot.slot, root: nil, message: message + ", unreadable root filesystem: \(error)", notes: notes)
        }
        return SimulatedBoot(layout: layout, slot: boot.slot, root: root, message: message, notes: notes)
    }

    /// The config this boot runs: the image's, or (factory) the board folder's.
    func configPath(board: BoardDescription) throws(Panic) -> String {
        guard let root else {
            if slot == .a, isFactoryImage { return board.folder + "/agent.json" }
            throw Panic(description: "slot \(slot) holds no root filesystem the simulated board can run")
        }
        let path = root + "/etc/midflight/agent.json"
        guard FileSystem.exists(path) else { throw Panic(description: "slot \(slot) has no /etc/midflight/agent.json") }
        return path
    }
}
