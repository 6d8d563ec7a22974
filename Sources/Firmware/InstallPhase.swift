/// An install's lifecycle. Each step only follows the one before it; the installer does
/// the I/O a step needs and then moves on. Nothing that the bootloader reads changes
/// before `committed`.
public enum InstallPhase: Hashable, Sendable, CustomStringConvertible {
    /// Reading the header and manifest; nothing written.
    case receiving
    /// Manifest verified and accepted; the target marked bad (durably) before any write.
    case writing(target: FirmwareSlot, written: Int, total: Int)
    /// Every block checked and written, synced; reading the slot back.
    case readingBack(target: FirmwareSlot)
    /// The one store that switched the slot and armed the trial is done.
    case committed(target: FirmwareSlot)
    /// Refused or failed: the target stays marked bad, the running slot untouched.
    case failed(reason: String)

    public var description: String {
        switch self {
        case .receiving: return "receiving manifest"
        case .writing(let target, let written, let total): return "writing slot \(target): \(written) of \(total) bytes"
        case .readingBack(let target): return "reading back slot \(target)"
        case .committed(let target): return "installed in slot \(target); reboot to try it"
        case .failed(let reason): return "failed: \(reason)"
        }
    }

    public var isFinished: Bool {
        switch self {
        case .committed, .failed: return true
        default: return false
        }
    }
}
