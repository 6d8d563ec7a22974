import Manifests
import Testing

@Suite struct WasmBinaryTests {
    /// A module with one memory (min 1, max 16) and nothing else.
    let module: [UInt8] = WasmBinary.magic + [0x05, 0x04, 0x01, 0x01, 0x01, 0x10]

    @Test func readsMemoryLimits() throws {
        #expect(try WasmBinary.memories(of: module) == [.init(minimum: 1, maximum: 16)])
        #expect(try WasmBinary.memories(of: WasmBinary.magic + [0x05, 0x03, 0x01, 0x00, 0x02]) == [.init(minimum: 2, maximum: nil)])
        #expect(try WasmBinary.memories(of: WasmBinary.magic).isEmpty)
    }

    @Test func appendsAndFindsCustomSections() throws {
        let with = WasmBinary.appendingCustomSection("midflight.manifest", payload: Array("{}".utf8), to: module)
        #expect(try WasmBinary.customSection("midflight.manifest", in: with) == Array("{}".utf8))
        #expect(try WasmBinary.customSection("other", in: with) == nil)
        #expect(try WasmBinary.sections(of: with).map(\.id) == [5, 0])
        let big = WasmBinary.appendingCustomSection("x", payload: [UInt8](repeating: 7, count: 300), to: module)
        #expect(try WasmBinary.customSection("x", in: big)?.count == 300)
    }

    @Test(arguments: [
        [UInt8](),
        [0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00],
        WasmBinary.magic + [0x05, 0x09, 0x01],
        WasmBinary.magic + [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        WasmBinary.magic + [0x00, 0x02, 0x09, 0x61],
    ])
    func refusesMalformedBinaries(bytes: [UInt8]) {
        #expect(throws: WasmBinary.Malformed.self) {
            _ = try WasmBinary.sections(of: bytes)
            _ = try WasmBinary.customSection("a", in: bytes)
        }
    }
}
