#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Hardware

/// Failures only a real kernel produces, beyond the contract both backends share: device
/// nodes a user may not open, and a GPIO chip that goes away while a line is held. Run
/// by `midflightd contract` in the QEMU tier against i2c-stub and gpio-sim.
public enum KernelChecks {
    /// Checks to run after the process has given up root: the device nodes (root-only
    /// 0600 from devtmpfs) must be refused as `permission`, naming the bus or chip.
    public static let unprivilegedCases: [ContractSuite.Case] = [
        ContractSuite.Case(name: "kernel: an i2c bus a user may not open is permission denied, naming the bus") { fixture in
            try requireError("open the bus", { $0.kind == .permission && $0.resource == .i2cBus(fixture.bus) }) {
                _ = try fixture.backend.i2cBus(fixture.bus).readByte(from: fixture.device, register: 0)
            }
        },
        ContractSuite.Case(name: "kernel: a chip a user may not open is permission denied, naming the chip") { fixture in
            try requireError("open the chip", { $0.kind == .permission && $0.resource == .gpioChip(fixture.chip) }) {
                _ = try fixture.backend.gpioChip(fixture.chip)
            }
        },
    ]

    /// Takes the chip away (`0` into gpio-sim's `live` file) while a line is held, then
    /// checks that the held line and a new open both fail as `noDevice`, and that the
    /// line's release does not crash. Leaves the chip removed: run it last.
    public static func chipRemoval(_ fixture: any ContractFixture, liveFile: String) throws {
        let chip = try fixture.backend.gpioChip(fixture.chip)
        let line = try chip.requestInput(fixture.drivenLine, consumer: "contract", edges: .both, bias: .asIs)
        try writeText("0", to: liveFile)
        try requireError("read a line of a removed chip", { $0.kind == .noDevice || $0.kind == .io }) { _ = try line.read() }
        try requireError("wait on a line of a removed chip", { $0.kind == .noDevice || $0.kind == .io }) {
            _ = try line.waitForEdges(timeoutNanoseconds: 100_000_000)
        }
        line.release()
        try requireError("open a removed chip", { $0.kind == .noDevice && $0.resource == .gpioChip(fixture.chip) }) {
            _ = try fixture.backend.gpioChip(fixture.chip)
        }
    }

    static func writeText(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ContractFailure("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = text.withCString { write(fd, $0, strlen($0)) }
        guard written == text.utf8.count else { throw ContractFailure("write \(path): \(String(cString: strerror(errno)))") }
    }
}
