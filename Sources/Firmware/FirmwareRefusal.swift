/// Why a firmware bundle or an update step is refused: what kind of problem (for code that
/// decides, such as a fleet rollout counting bad bundles apart from busy boards) and the
/// line said to the person who asked.
public struct FirmwareRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The bundle's bytes: format, size, truncation, the manifest, the archive.
        case malformed
        /// The signature does not verify, the key is not trusted, or signing failed.
        case signature
        /// An image block or the image's digest does not match the signed manifest.
        case tampered
        /// Made for another board, a newer agent, or more than the slot holds.
        case incompatible
        /// Its security version is below the board's floor.
        case antiRollback
        /// Older than what runs, and no downgrade was asked for.
        case downgrade
        /// The slots are not in a state that allows it (on trial, installed and waiting, nothing to revert to).
        case slotState
        /// Another install is running.
        case busy
        /// Reading or writing a slot, the journal or a file failed.
        case storage
        /// The boot environment could not be read or written, or changed under the install.
        case bootEnvironment
        /// The board is not set up for updates (the running slot is unknown).
        case configuration
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
