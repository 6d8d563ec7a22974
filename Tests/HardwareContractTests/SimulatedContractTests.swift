import Hardware
import HardwareContract
import SimulatedHardware
import Testing

/// The simulated side of the contract: a register file seeded like i2c-stub in the VM,
/// and a chip whose input the bench drives.
struct SimulatedContractFixture: ContractFixture {
    let board: SimulatedBoard
    var backend: any HardwareBackend { board }
    let bus = 1
    let device = I2CAddress(unchecked: 0x68)
    let absentAddress = I2CAddress(unchecked: 0x50)
    let chip = "gpiochip0"
    let drivenLine = 3
    let drivenLineName = "contract-in"
    let outputLine = 5

    init(clock: any SimulationClock) {
        board = SimulatedBoard(
            SimulatedBoardSpec(
                name: "contract",
                buses: [.init(number: 1, devices: [.init(address: 0x68, model: .registerFile(ContractSuite.seed))])],
                chips: [
                    .init(
                        name: "gpiochip0", label: "gpio-sim.0-node0", lineCount: 8,
                        lines: [.init(offset: 3, name: "contract-in", drive: .level(false))])
                ]),
            clock: clock)
    }

    func drive(_ level: Bool) throws {
        try board.drive(chip: chip, line: .offset(drivenLine), to: level)
    }

    func reseed() throws {
        try board.i2cBus(bus).writeBlock(ContractSuite.seed, to: device, register: 0)
    }
}

@Suite struct SimulatedContractTests {
    @Test(arguments: ContractSuite.cases)
    func holdsUnderTheTestClock(_ contractCase: ContractSuite.Case) throws {
        try contractCase.run(SimulatedContractFixture(clock: ManualClock()))
    }

    @Test(arguments: ContractSuite.cases)
    func holdsInRealTime(_ contractCase: ContractSuite.Case) throws {
        try contractCase.run(SimulatedContractFixture(clock: SystemClock()))
    }

    @Test func runAllReportsEveryCase() {
        var names: [String] = []
        let (passed, failed) = ContractSuite.runAll(SimulatedContractFixture(clock: ManualClock())) { name, _ in
            names.append(name)
        }
        #expect(passed == ContractSuite.cases.count)
        #expect(failed == 0)
        #expect(names.count == ContractSuite.cases.count)
    }

    @Test func aBrokenBackendFailsTheContract() {
        // A fixture whose device lost its seed: the suite must notice, or it proves nothing.
        struct Unseeded: ContractFixture {
            let inner = SimulatedContractFixture(clock: ManualClock())
            var backend: any HardwareBackend { inner.backend }
            var bus: Int { inner.bus }
            var device: I2CAddress { inner.device }
            var absentAddress: I2CAddress { inner.absentAddress }
            var chip: String { inner.chip }
            var drivenLine: Int { inner.drivenLine }
            var drivenLineName: String { inner.drivenLineName }
            var outputLine: Int { inner.outputLine }
            func drive(_ level: Bool) throws {}
            func reseed() throws { try inner.board.i2cBus(1).writeBlock([0xFF, 0xFF], to: inner.device, register: 0) }
        }
        let (_, failed) = ContractSuite.runAll(Unseeded()) { _, _ in }
        #expect(failed >= 4)
    }
}
