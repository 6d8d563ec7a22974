import JSON
import Manifests
import Testing

@Suite struct ModuleManifestTests {
    func parse(_ text: String) throws -> ModuleManifest {
        try ModuleManifest.parse(Array(text.utf8), file: "m/manifest.json")
    }

    func problem(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func parsesAFullManifest() throws {
        let manifest = try parse(
            """
            {"name": "button", "version": "1.2.3", "abi": 1, "description": "d",
             "capabilities": {"i2c": [{"role": "rtc"}], "gpio": [{"role": "button", "direction": "input", "edges": "both", "bias": "pull-up"}, {"role": "led", "direction": "output"}], "inputs": [{"role": "value"}], "clockSet": true},
             "parameters": [{"name": "debounce_ms", "type": "int", "default": 30, "min": 1, "max": 1000, "unit": "ms"}, {"name": "on", "type": "bool", "default": true}]}
            """)
        #expect(manifest.name == "button")
        #expect(manifest.version == SemanticVersion(1, 2, 3))
        #expect(manifest.i2c.map(\.role) == ["rtc"])
        #expect(manifest.gpio[0].edges == .both && manifest.gpio[0].bias == .pullUp)
        #expect(manifest.gpio[1].direction == .output)
        #expect(manifest.inputs == ["value"])
        #expect(manifest.clockSet)
        #expect(manifest.parameter(named: "on")?.parameter.defaultValue == 1)
        #expect(manifest.parameter(named: "debounce_ms")?.index == 0)
    }

    static let head = #""name": "m", "version": "1.0.0", "abi": 1"#

    @Test(arguments: [
        (#"{"version": "1.0.0", "abi": 1}"#, "m/manifest.json: missing field \"name\""),
        (#"{"name": "Button", "version": "1.0.0", "abi": 1}"#, "m/manifest.json: name: expected lower-case letters"),
        (#"{"name": "b", "version": "1.0", "abi": 1}"#, "m/manifest.json: version: expected MAJOR.MINOR.PATCH with parts 0-1023"),
        (#"{"name": "b", "version": "1.0.2000", "abi": 1}"#, "m/manifest.json: version: expected MAJOR.MINOR.PATCH"),
        (#"{"name": "b", "version": "01.0.0", "abi": 1}"#, "m/manifest.json: version: expected MAJOR.MINOR.PATCH"),
        (#"{"name": "b", "version": "1.0.0", "abi": 0}"#, "m/manifest.json: abi: 0 is out of range"),
        ("{\(head), \"extra\": 1}", "unknown field \"extra\""),
        ("{\(head), \"capabilities\": {\"gpio\": [{\"role\": \"x\", \"direction\": \"sideways\"}]}}", "capabilities.gpio[0].direction: expected one of input, output, found \"sideways\""),
        ("{\(head), \"capabilities\": {\"gpio\": [{\"role\": \"x\", \"direction\": \"output\", \"edges\": \"both\"}]}}", "capabilities.gpio[0]: an output line cannot have edge detection"),
        ("{\(head), \"capabilities\": {\"i2c\": [{\"role\": \"a\"}], \"gpio\": [{\"role\": \"a\"}]}}", "capabilities: role \"a\" is used twice"),
        ("{\(head), \"capabilities\": {\"spi\": []}}", "capabilities: unknown field \"spi\""),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"string\", \"default\": 1}]}", "parameters[0].type: expected one of int, float, bool, found \"string\""),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"int\"}]}", "parameters[0]: missing field \"default\""),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"int\", \"default\": 5, \"min\": 10}]}", "parameters[0].default: the default is refused: p = 5 is below the minimum 10"),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"int\", \"default\": 5, \"min\": 10, \"max\": 1}]}", "parameters[0]: min is above max"),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"int\", \"default\": 1.5}]}", "the default is refused: p is an integer, not 1.5"),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"bool\", \"default\": true, \"max\": 1}]}", "parameters[0]: a bool has no range"),
        ("{\(head), \"parameters\": [{\"name\": \"p\", \"type\": \"int\", \"default\": 1}, {\"name\": \"p\", \"type\": \"int\", \"default\": 1}]}", "parameters[1].name: parameter \"p\" is declared twice"),
        ("{\(head), \"parameters\": [{\"name\": \"Bad Name\", \"type\": \"int\", \"default\": 1}]}", "parameters[0].name: expected lower-case letters, digits and '_'"),
        ("[1]", "m/manifest.json: expected an object, found an array"),
        ("{", "m/manifest.json: not valid JSON"),
    ])
    func refusesBadManifests(text: String, message: String) {
        let found = problem(text)
        #expect(found?.contains(message) == true, "\(found ?? "accepted")")
    }

    @Test func semanticVersionsParseCompareAndPack() {
        #expect(SemanticVersion("1.10.0")! > SemanticVersion("1.9.9")!)
        #expect(SemanticVersion("0.0.0") == SemanticVersion(0, 0, 0))
        #expect(SemanticVersion(packed: SemanticVersion(3, 2, 1).packed) == SemanticVersion(3, 2, 1))
        for bad in ["", "1", "1.2", "1.2.3.4", "a.b.c", "-1.0.0", "1.0.0-beta", " 1.0.0", "1024.0.0"] {
            #expect(SemanticVersion(bad) == nil, "\(bad)")
        }
    }

    @Test func parametersValidateTypeAndRange() throws {
        let aging = ModuleParameter(name: "aging", kind: .int, defaultValue: 0, minimum: -128, maximum: 127, unit: "steps")
        #expect(try aging.parse("-3") == -3)
        #expect(throws: ModuleParameter.Refusal(message: "aging = 200 is above the maximum 127 steps")) { try aging.parse("200") }
        #expect(throws: ModuleParameter.Refusal.self) { try aging.parse("1.5") }
        #expect(throws: ModuleParameter.Refusal.self) { try aging.parse("three") }
        #expect(throws: ModuleParameter.Refusal.self) { try aging.validate(.nan) }
        let flag = ModuleParameter(name: "on", kind: .bool, defaultValue: 0)
        #expect(try flag.parse("true") == 1 && (try flag.parse("off")) == 0)
        #expect(throws: ModuleParameter.Refusal.self) { try flag.parse("maybe") }
        #expect(flag.format(1) == "true" && aging.format(-3) == "-3")
        let ratio = ModuleParameter(name: "k", kind: .float, defaultValue: 1)
        #expect(try ratio.parse("2.5") == 2.5)
        #expect(throws: ModuleParameter.Refusal.self) { try ratio.parse("inf") }
    }
}
