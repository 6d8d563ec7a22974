import JSON
import Testing

@Suite struct JSONReaderTests {
    func reader(_ text: String) throws -> JSONReader {
        JSONReader(file: "test.json", value: try JSONParser.parse(text))
    }

    @Test func readsTypedFieldsWithPaths() throws {
        let root = try reader(#"{"bus": 1, "devices": [{"address": "0x68"}], "name": "x", "on": true, "rate": 2.5}"#)
        #expect(try root.required("bus").integer(in: 0...10) == 1)
        let devices = try root.required("devices").array()
        #expect(devices[0].path == "devices[0]")
        #expect(try devices[0].required("address").integer(in: 0...0x7F) == 0x68)
        #expect(try root.required("name").string() == "x")
        #expect(try root.required("on").bool())
        #expect(try root.required("rate").number() == 2.5)
        #expect(try root.optional("missing") == nil)
    }

    @Test func namesFileFieldAndExpectationInProblems() throws {
        let root = try reader(#"{"devices": [{"address": 300}]}"#)
        let address = try root.required("devices").array()[0].required("address")
        #expect {
            _ = try address.integer(in: 0...0x7F)
        } throws: { error in
            "\(error)" == "test.json: devices[0].address: 300 is out of range (expected 0-127)"
        }
    }

    @Test(arguments: [
        (#"{"a": "x"}"#, "a", "expected an integer, found \"x\""),
        (#"{"a": 1.5}"#, "a", "expected an integer, found 1.5"),
        (#"{"a": true}"#, "a", "expected an integer, found a boolean"),
    ])
    func refusesNonIntegers(text: String, key: String, message: String) throws {
        let field = try reader(text).required(key)
        #expect {
            _ = try field.integer(in: 0...100)
        } throws: { error in
            "\(error)".hasSuffix(message)
        }
    }

    @Test func refusesUnknownAndMissingFields() throws {
        let root = try reader(#"{"nmae": "typo"}"#)
        #expect {
            try root.onlyMembers(["name"])
        } throws: { error in
            "\(error)".contains("unknown field \"nmae\" (expected one of: name)")
        }
        #expect {
            _ = try root.required("name")
        } throws: { error in
            "\(error)".contains("missing field \"name\"")
        }
    }

    @Test func refusesWrongKinds() throws {
        let root = try reader(#"{"list": {}, "text": 3, "flag": "yes"}"#)
        #expect(throws: JSONReader.Problem.self) { try root.required("list").array() }
        #expect(throws: JSONReader.Problem.self) { try root.required("text").string() }
        #expect(throws: JSONReader.Problem.self) { try root.required("flag").bool() }
        #expect(throws: JSONReader.Problem.self) { try root.required("text").required("x") }
    }
}
