#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Hardware

/// The Linux side of the contract: a gpio-sim line driven through its sysfs `pull` file
/// and an i2c-stub device reseeded over the bus.
public struct LinuxContractFixture: ContractFixture {
    public let backend: any HardwareBackend
    public let bus: Int
    public let device: I2CAddress
    public let absentAddress: I2CAddress
    public let chip: String
    public let drivenLine: Int
    public let drivenLineName: String
    public let outputLine: Int
    /// `/sys/devices/platform/<dev>/<chip>/sim_gpioN/pull`.
    public let pullFile: String

    public init(
        backend: any HardwareBackend, bus: Int, device: I2CAddress, absentAddress: I2CAddress, chip: String,
        drivenLine: Int, drivenLineName: String, outputLine: Int, pullFile: String
    ) {
        self.backend = backend
        self.bus = bus
        self.device = device
        self.absentAddress = absentAddress
        self.chip = chip
        self.drivenLine = drivenLine
        self.drivenLineName = drivenLineName
        self.outputLine = outputLine
        self.pullFile = pullFile
    }

    public func drive(_ level: Bool) throws {
        let text = level ? "pull-up" : "pull-down"
        let fd = open(pullFile, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ContractFailure("open \(pullFile): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = text.withCString { write(fd, $0, strlen($0)) }
        guard written == text.utf8.count else { throw ContractFailure("write \(pullFile): \(String(cString: strerror(errno)))") }
    }

    public func reseed() throws {
        let bus = try backend.i2cBus(bus)
        for (register, value) in ContractSuite.seed.enumerated() {
            try bus.writeByte(value, to: device, register: UInt8(register))
        }
    }
}
