import JSON
import Testing

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#"{"a": [1, -2.5, 3e2], "b": {"c": null, "d": true, "e": false}, "s": "x\"y\u00e9\n"}"#)
        #expect(value["a"] == .array([.number(1), .number(-2.5), .number(300)]))
        #expect(value["b"]?["c"] == .null)
        #expect(value["b"]?["d"] == .bool(true))
        #expect(value["s"] == .string("x\"yé\n"))
    }

    @Test func keepsMemberOrderAndRoundTrips() throws {
        let text = #"{"z":1,"a":[true,null,"q"],"m":{"k":-3}}"#
        let value = try JSONParser.parse(text)
        #expect(value.serialized == text)
        #expect(try JSONParser.parse(value.serialized) == value)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test func serializesControlCharactersAsEscapes() {
        #expect(JSONValue.string("a\u{01}b\t").serialized == #""a\u0001b\t""#)
        #expect(JSONValue.number(0.5).serialized == "0.5")
        #expect(JSONValue.number(42).serialized == "42")
    }

    @Test(arguments: [
        ("{", "line 1, column 2"),
        ("{\"a\": 1,\n  \"a\": 2}", "duplicate member"),
        ("[1, 2", "expected ',' or ']'"),
        ("{\"a\" 1}", "expected ':'"),
        ("tru", "unexpected character"),
        ("\"abc", "unterminated string"),
        ("01x", "unexpected text after"),
        ("-", "expected digits"),
        ("1.", "expected digits after '.'"),
        ("\"\\ud800\"", "unpaired surrogate"),
        ("\"a\u{01}\"", "control character"),
        ("[1] [2]", "unexpected text after"),
        ("", "unexpected end of input"),
    ])
    func refusesMalformedDocuments(text: String, message: String) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func reportsTheLineAndColumnOfAnError() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": ?\n}")
            Issue.record("parsed a broken document")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }

    @Test func refusesNestingDeeperThanTheLimit() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }
}
