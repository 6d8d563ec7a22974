#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Hardware

/// The real hardware of a Linux board: `/dev/i2c-N` and `/dev/gpiochipN`.
public final class LinuxBoard: HardwareBackend {
    public let kind = "linux"
    /// The buses the board file names; nil means "whatever /dev has".
    private let declaredBuses: [Int]?
    private let declaredChips: [String]?
    private let deviceDirectory: String

    public init(buses: [Int]? = nil, chips: [String]? = nil, deviceDirectory: String = "/dev") {
        declaredBuses = buses
        declaredChips = chips
        self.deviceDirectory = deviceDirectory
    }

    private func devices(prefix: String) -> [String] {
        guard let directory = opendir(deviceDirectory) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(prefix), Int(name.dropFirst(prefix.count)) != nil { names.append(name) }
        }
        return names.sorted { Int($0.dropFirst(prefix.count))! < Int($1.dropFirst(prefix.count))! }
    }

    public func i2cBusNumbers() -> [Int] {
        declaredBuses ?? devices(prefix: "i2c-").compactMap { Int($0.dropFirst(4)) }
    }

    public func i2cBus(_ number: Int) throws(HardwareError) -> any I2CBus {
        guard number >= 0, number < 1024 else {
            throw HardwareError(.invalidArgument, .i2cBus(number), "bus number must be 0-1023")
        }
        return try LinuxI2CBus(number: number, path: "\(deviceDirectory)/i2c-\(number)")
    }

    public func gpioChipNames() -> [String] {
        declaredChips ?? devices(prefix: "gpiochip")
    }

    public func gpioChip(_ lookup: String) throws(HardwareError) -> any GPIOChip {
        guard !lookup.isEmpty else {
            throw HardwareError(.invalidArgument, .gpioChip(lookup), "empty chip name")
        }
        return try LinuxGPIOChip(lookup: lookup)
    }
}
