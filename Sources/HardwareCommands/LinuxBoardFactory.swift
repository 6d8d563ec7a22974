import Hardware
import LinuxHardware

/// This machine's own hardware, for commands run without `--board`.
enum LinuxBoardFactory {
    static func make() -> any HardwareBackend {
        LinuxBoard()
    }
}
