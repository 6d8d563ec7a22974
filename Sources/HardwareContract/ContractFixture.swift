import Hardware

/// What the contract suite needs from a backend under test: a bus with a device seeded
/// with `ContractSuite.seed`, an address where nothing answers, and a chip with an
/// input line the fixture can drive from outside and a free line to use as an output.
public protocol ContractFixture {
    var backend: any HardwareBackend { get }
    var bus: Int { get }
    /// A device whose registers 0x00… hold `ContractSuite.seed` when the suite starts,
    /// and whose registers 0x40–0x7F may be written.
    var device: I2CAddress { get }
    var absentAddress: I2CAddress { get }
    var chip: String { get }
    /// An input the fixture drives (a simulated waveform, or gpio-sim's `pull` file).
    var drivenLine: Int { get }
    var drivenLineName: String { get }
    /// A line nothing else uses, requested as an output by the suite.
    var outputLine: Int { get }
    /// Sets the driven line's level from outside the process under test.
    func drive(_ level: Bool) throws
    /// Resets the seeded registers, so every case starts from the same state.
    func reseed() throws
}

/// A broken contract: which check, and what was seen.
public struct ContractFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }
}

/// Fails the case unless `condition` holds.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw ContractFailure(message()) }
}

/// Fails the case unless `body` throws a `HardwareError` accepted by `accept`.
func requireError(
    _ what: String, _ accept: (HardwareError) -> Bool, _ body: () throws -> Void
) throws {
    do {
        try body()
    } catch let error as HardwareError {
        try require(accept(error), "\(what): unexpected error \(error)")
        return
    }
    throw ContractFailure("\(what): succeeded but should have failed")
}
