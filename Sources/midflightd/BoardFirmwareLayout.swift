import Boards
import Firmware

extension FirmwareLayout {
    /// The layout `board`'s folder describes, or nil for a board without slots.
    static func forBoard(_ board: BoardDescription, dataDirectory: String, factoryVersion: String) throws(FirmwareRefusal) -> FirmwareLayout? {
        guard let firmware = board.firmware else { return nil }
        return try described(
            slots: firmware.slots, slotSize: firmware.slotSize, environmentSize: firmware.environmentSize,
            environmentConfig: board.bootEnvironmentConfig, dataDirectory: dataDirectory, factoryVersion: factoryVersion)
    }
}
