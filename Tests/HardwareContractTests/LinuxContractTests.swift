#if canImport(Glibc)
import Glibc
#endif
import Hardware
import HardwareContract
import LinuxHardware
import Testing

/// The same contract against the real kernel, when the environment names the devices
/// (the QEMU tier sets these; on a developer machine with i2c-stub and gpio-sim loaded,
/// so can you):
/// MIDFLIGHT_CONTRACT_I2C_BUS, MIDFLIGHT_CONTRACT_CHIP, MIDFLIGHT_CONTRACT_PULL_FILE.
func contractEnvironment() -> (bus: Int, chip: String, pull: String)? {
    guard let bus = getenv("MIDFLIGHT_CONTRACT_I2C_BUS").flatMap({ Int(String(cString: $0)) }),
        let chip = getenv("MIDFLIGHT_CONTRACT_CHIP").map({ String(cString: $0) }),
        let pull = getenv("MIDFLIGHT_CONTRACT_PULL_FILE").map({ String(cString: $0) })
    else { return nil }
    return (bus, chip, pull)
}

@Suite(.enabled(if: contractEnvironment() != nil, "needs i2c-stub and gpio-sim (the QEMU tier)"))
struct LinuxContractTests {
    @Test(arguments: ContractSuite.cases)
    func holdsOnTheRealKernel(_ contractCase: ContractSuite.Case) throws {
        let environment = try #require(contractEnvironment())
        let fixture = LinuxContractFixture(
            backend: LinuxBoard(), bus: environment.bus, device: I2CAddress(unchecked: 0x68),
            absentAddress: I2CAddress(unchecked: 0x50), chip: environment.chip, drivenLine: 0, drivenLineName: "button",
            outputLine: 2, pullFile: environment.pull)
        try contractCase.run(fixture)
    }
}
