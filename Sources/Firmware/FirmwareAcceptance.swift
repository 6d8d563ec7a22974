import Manifests

/// The checks a verified manifest must pass before anything is written.
public enum FirmwareAcceptance {
    public static func check(
        _ manifest: FirmwareManifest, board: String, running: FirmwareSlot, boot: BootState, slotCapacity: Int,
        agentVersion: SemanticVersion, allowDowngrade: Bool = false
    ) throws(FirmwareRefusal) {
        guard manifest.compatible.contains(board) else {
            throw FirmwareRefusal(.incompatible, "firmware for \(manifest.compatible.joined(separator: ", ")), not for this board (\(board))")
        }
        let floor = boot.securityFloor
        guard manifest.securityVersion >= floor else {
            throw FirmwareRefusal(.antiRollback, "security version \(manifest.securityVersion) is lower than this board's \(floor) (anti-rollback)")
        }
        guard manifest.minimumAgentVersion <= agentVersion else {
            throw FirmwareRefusal(.incompatible, "needs agent \(manifest.minimumAgentVersion) or later to install; this is \(agentVersion)")
        }
        if !allowDowngrade, let runningText = boot.version(of: running), let runningVersion = SemanticVersion(runningText),
            manifest.version < runningVersion
        {
            throw FirmwareRefusal(.downgrade, "version \(manifest.version) is older than the running \(runningVersion); ask for it with --allow-downgrade")
        }
        if let other = manifest.images.first(where: { $0.name != "rootfs" }) {
            throw FirmwareRefusal(.incompatible, "image \(other.name) is not one this agent installs (only rootfs)")
        }
        let size = manifest.rootfs?.size ?? 0
        guard size <= slotCapacity else {
            throw FirmwareRefusal(.incompatible, "image of \(size) bytes does not fit slot \(running.other) (\(slotCapacity) bytes)")
        }
        guard boot.bootSlot == running else {
            throw FirmwareRefusal(.slotState, "slot \(running.other) already holds an installed update that boots next: reboot to try it first")
        }
        guard !boot.upgradeAvailable, boot.state(of: running) == .good else {
            throw FirmwareRefusal(.slotState, "slot \(running) is on trial, not validated: validate it (fw validate) or revert before installing")
        }
    }
}
