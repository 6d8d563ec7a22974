/// A log message built from static text and numbers without String interpolation,
/// which would pull ~30 KB of String machinery into a module.
public struct LogLine {
    public private(set) var bytes: [UInt8] = []

    public init(_ text: StaticString) {
        append(text)
    }

    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes.append(contentsOf: digits.reversed())
    }

    /// A fixed-point rendering with `decimals` places (no Double printing in Embedded).
    public mutating func append(_ value: Double, decimals: Int) {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        if scaled < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = scaled.magnitude
        let unit = UInt(scale)
        append(Int(magnitude / unit))
        guard decimals > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var fraction = magnitude % unit
        var digits: [UInt8] = []
        for _ in 0..<decimals {
            digits.append(UInt8(ascii: "0") + UInt8(fraction % 10))
            fraction /= 10
        }
        bytes.append(contentsOf: digits.reversed())
    }
}
