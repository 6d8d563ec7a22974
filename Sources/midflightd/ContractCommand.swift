#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Hardware
import HardwareCommands
import HardwareContract
import LinuxHardware

/// `midflightd contract`: the hardware contract suite against this kernel's i2c-stub and
/// gpio-sim, for bringing up a kernel and for the QEMU tier. It writes the device's
/// registers and drives lines, so it is for test kernels, never for a board in service.
struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract",
        abstract: "Run the hardware contract against i2c-stub and gpio-sim (test kernels only: it writes to the devices).")

    @Option(name: .long, help: "The i2c-stub bus number.") var bus: Int
    @Option(name: .long, help: "The gpio-sim chip (name or label).") var chip: String
    @Option(name: .long, help: "gpio-sim's pull file for line 0, named \"button\".") var pull: String
    @Option(name: .long, help: "Then drop to this uid and gid and check that the devices are refused as permission denied.")
    var unprivileged: UInt32?
    @Option(name: .long, help: "Finally remove the chip through this gpio-sim live file while a line is held.")
    var removeChip: String?
    @Option(name: .long, help: "Instead of the contract: pull write → this module's edge handler (.wasm), timed as edge-latency.c times libgpiod.")
    var latencyModule: String?
    @Option(name: .long, help: "The line and its pull file for --latency-module.") var latencyLine = 3
    @Option(name: .long, help: "gpio-sim's pull file of --latency-line.") var latencyPull: String?
    @Option(name: .long, help: "Edges to time.") var latencyCount = 1000
    @Flag(name: .long, help: "Only the kernel checks (--remove-chip, --unprivileged), not the shared contract.")
    var kernelOnly = false

    func validate() throws {
        if latencyModule != nil, latencyPull == nil { throw ValidationError("--latency-module needs --latency-pull") }
        guard latencyCount > 0 else { throw ValidationError("--latency-count must be at least 1") }
        if latencyModule != nil, kernelOnly || removeChip != nil || unprivileged != nil {
            throw ValidationError("--latency-module replaces the contract run: it does not take --kernel-only, --remove-chip or --unprivileged")
        }
        if removeChip != nil, unprivileged != nil {
            // Removal needs root to write the live file; the other checks give root up for good.
            throw ValidationError("--remove-chip and --unprivileged go in two runs: one needs root, the other gives it up")
        }
    }

    func run() throws {
        let fixture = LinuxContractFixture(
            backend: LinuxBoard(), bus: bus, device: I2CAddress(unchecked: 0x68), absentAddress: I2CAddress(unchecked: 0x50),
            chip: chip, drivenLine: 0, drivenLineName: "button", outputLine: 2, pullFile: pull)
        if let latencyModule {
            guard let latencyPull else { throw ValidationError("--latency-module needs --latency-pull") }
            print(try EdgeLatencyProbe(chip: chip, line: latencyLine, pullFile: latencyPull, modulePath: latencyModule, count: latencyCount).run())
            return
        }
        var (passed, failed) = kernelOnly ? (0, 0) : ContractSuite.runAll(fixture, report: Self.report)
        if let removeChip {
            Self.check("kernel: a chip removed while a line is held fails as no such device", &passed, &failed) {
                try KernelChecks.chipRemoval(fixture, liveFile: removeChip)
            }
        }
        if let unprivileged {
            guard setgroups(0, nil) == 0, setgid(unprivileged) == 0, setuid(unprivileged) == 0 else {
                throw CommandFailure("cannot drop to uid \(unprivileged): \(String(cString: strerror(errno)))")
            }
            for check in KernelChecks.unprivilegedCases {
                Self.check(check.name, &passed, &failed) { try check.run(UnseededFixture(fixture)) }
            }
        }
        print("contract: \(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    static func report(_ name: String, _ error: (any Error)?) {
        print(error.map { "FAIL \(name): \($0)" } ?? "ok   \(name)")
    }

    static func check(_ name: String, _ passed: inout Int, _ failed: inout Int, _ body: () throws -> Void) {
        do {
            try body()
            passed += 1
            report(name, nil)
        } catch {
            failed += 1
            report(name, error)
        }
    }
}

/// The fixture for checks that must not touch the device first: reseeding would itself
/// need the permission the check expects to be refused.
private struct UnseededFixture: ContractFixture {
    let base: LinuxContractFixture
    init(_ base: LinuxContractFixture) { self.base = base }
    var backend: any HardwareBackend { base.backend }
    var bus: Int { base.bus }
    var device: I2CAddress { base.device }
    var absentAddress: I2CAddress { base.absentAddress }
    var chip: String { base.chip }
    var drivenLine: Int { base.drivenLine }
    var drivenLineName: String { base.drivenLineName }
    var outputLine: Int { base.outputLine }
    func drive(_ level: Bool) throws { try base.drive(level) }
    func reseed() throws {}
}
