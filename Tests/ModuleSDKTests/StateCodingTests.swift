import ModuleSDK
import Testing

@Suite struct StateCodingTests {
    @Test func everyKindRoundTrips() {
        var writer = StateWriter()
        writer.write(UInt64.max)
        writer.write(Int64.min)
        writer.write(-1)
        writer.write(true)
        writer.write(-2.5)
        writer.write(bytes: [1, 2, 3])
        var reader = StateReader(bytes: writer.bytes)
        #expect(reader.readUInt64() == UInt64.max)
        #expect(reader.readInt64() == Int64.min)
        #expect(reader.readInt() == -1)
        #expect(reader.readBool() == true)
        #expect(reader.readDouble() == -2.5)
        #expect(reader.readBytes() == [1, 2, 3])
        #expect(reader.isAtEnd)
    }

    @Test func smallNumbersStayShort() {
        var writer = StateWriter()
        writer.write(-1)
        writer.write(63)
        #expect(writer.bytes == [0x01, 0x7E])
    }

    @Test func readsPastTheEndOrMalformedGiveNil() {
        var empty = StateReader(bytes: [])
        #expect(empty.readInt() == nil)
        #expect(empty.readDouble() == nil)
        var unterminated = StateReader(bytes: [0x80, 0x80])
        #expect(unterminated.readUInt64() == nil)
        var tooLong = StateReader(bytes: [UInt8](repeating: 0xFF, count: 11))
        #expect(tooLong.readUInt64() == nil)
        var badBool = StateReader(bytes: [2])
        #expect(badBool.readBool() == nil)
        var shortBytes = StateReader(bytes: [5, 1, 2])
        #expect(shortBytes.readBytes() == nil)
    }

    @Test func logLinesFormatNumbersWithoutInterpolation() {
        var line = LogLine("t=")
        line.append(-42)
        line.append(" v=")
        line.append(3.14159, decimals: 2)
        line.append(" n=")
        line.append(-0.5, decimals: 1)
        #expect(String(decoding: line.bytes, as: UTF8.self) == "t=-42 v=3.14 n=-0.5")
    }

    @Test func hostResultsCarryValueOrStatus() {
        let success = HostResult<Int>.success(3)
        #expect(success.value == 3 && success.status == .ok)
        let failure = HostResult<Int>.failure(.nack)
        #expect(failure.value == nil && failure.status == .nack)
    }
}
