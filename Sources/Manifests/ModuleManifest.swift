import Hardware
import JSON
import ModuleABI

/// What a module says about itself: name, version, ABI, the resources it needs and the
/// parameters it takes. Written as `manifest.json` beside the sources and embedded in the
/// built `.wasm` as the `midflight.manifest` custom section.
public struct ModuleManifest: Hashable, Sendable {
    /// One I2C device the module needs, by the role it plays (`rtc`).
    public struct I2CNeed: Hashable, Sendable {
        public let role: String
    }

    /// One GPIO line the module needs and how it wants it requested.
    public struct GPIONeed: Hashable, Sendable {
        public let role: String
        public let direction: GPIODirection
        public let edges: GPIOEdgeDetection
        public let bias: GPIOBias
    }

    public let name: String
    public let version: SemanticVersion
    public let abi: Int32
    public let summary: String
    public let i2c: [I2CNeed]
    public let gpio: [GPIONeed]
    /// Whether the module may set the system clock.
    public let clockSet: Bool
    /// Readings of other services the module takes, by role (the agent config binds them).
    public let inputs: [String]
    public let parameters: [ModuleParameter]
    /// The manifest as JSON, for embedding and for `modules --json`.
    public let json: JSONValue

    public func parameter(named name: String) -> (index: Int, parameter: ModuleParameter)? {
        parameters.firstIndex { $0.name == name }.map { ($0, parameters[$0]) }
    }

    /// Parses and checks a manifest; every problem names the file and the field.
    public static func parse(_ bytes: [UInt8], file: String) throws(JSONReader.Problem) -> ModuleManifest {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw JSONReader.Problem(file: file, path: "", message: "not valid JSON: \(error)")
        }
        let root = JSONReader(file: file, value: document)
        try root.onlyMembers(["name", "version", "abi", "description", "capabilities", "parameters"])
        let nameField = try root.required("name")
        let name = try nameField.string()
        guard isIdentifier(name) else {
            throw nameField.problem("expected lower-case letters, digits and '-', starting with a letter (1-32 characters)")
        }
        let versionField = try root.required("version")
        guard let version = SemanticVersion(try versionField.string()) else {
            throw versionField.problem("expected MAJOR.MINOR.PATCH with parts 0-1023")
        }
        let abi = Int32(try root.required("abi").integer(in: 1...1_000_000))
        let summary = try root.optional("description")?.string() ?? ""

        var i2c: [I2CNeed] = []
        var gpio: [GPIONeed] = []
        var clockSet = false
        var inputs: [String] = []
        if let capabilities = try root.optional("capabilities") {
            try capabilities.onlyMembers(["i2c", "gpio", "clockSet", "inputs"])
            for input in try capabilities.optional("inputs")?.array() ?? [] {
                try input.onlyMembers(["role"])
                inputs.append(try role(input))
            }
            for need in try capabilities.optional("i2c")?.array() ?? [] {
                try need.onlyMembers(["role"])
                i2c.append(I2CNeed(role: try role(need)))
            }
            for need in try capabilities.optional("gpio")?.array() ?? [] {
                try need.onlyMembers(["role", "direction", "edges", "bias"])
                let direction = try enumeration(need.optional("direction"), GPIODirection.init(rawValue:), ["input", "output"]) ?? .input
                let edges = try enumeration(need.optional("edges"), GPIOEdgeDetection.init(rawValue:), GPIOEdgeDetection.allCases.map(\.rawValue)) ?? .none
                let bias = try enumeration(need.optional("bias"), GPIOBias.init(rawValue:), GPIOBias.allCases.map(\.rawValue)) ?? .asIs
                if direction == .output, edges != .none {
                    throw need.problem("an output line cannot have edge detection")
                }
                gpio.append(GPIONeed(role: try role(need), direction: direction, edges: edges, bias: bias))
            }
            clockSet = try capabilities.optional("clockSet")?.bool() ?? false
            let roles = i2c.map(\.role) + gpio.map(\.role) + inputs
            if let duplicate = roles.first(where: { role in roles.filter { $0 == role }.count > 1 }) {
                throw capabilities.problem("role \"\(duplicate)\" is used twice")
            }
        }
        guard i2c.count <= 16, gpio.count <= 64, inputs.count <= 16 else {
            throw root.problem("at most 16 I2C devices, 64 GPIO lines and 16 inputs")
        }

        var parameters: [ModuleParameter] = []
        for field in try root.optional("parameters")?.array() ?? [] {
            let parameter = try parseParameter(field)
            if parameters.contains(where: { $0.name == parameter.name }) {
                throw try field.required("name").problem("parameter \"\(parameter.name)\" is declared twice")
            }
            parameters.append(parameter)
        }
        guard parameters.count <= 64 else { throw root.problem("at most 64 parameters") }
        return ModuleManifest(
            name: name, version: version, abi: abi, summary: summary, i2c: i2c, gpio: gpio, clockSet: clockSet,
            inputs: inputs, parameters: parameters, json: document)
    }

    private static func role(_ need: JSONReader) throws(JSONReader.Problem) -> String {
        let field = try need.required("role")
        let text = try field.string()
        guard isIdentifier(text) else { throw field.problem("expected a role like \"rtc\" or \"button\"") }
        return text
    }

    private static func enumeration<T>(
        _ field: JSONReader?, _ make: (String) -> T?, _ allowed: [String]
    ) throws(JSONReader.Problem) -> T? {
        guard let field else { return nil }
        let text = try field.string()
        guard let value = make(text) else {
            throw field.problem("expected one of \(allowed.joined(separator: ", ")), found \"\(text)\"")
        }
        return value
    }

    private static func parseParameter(_ field: JSONReader) throws(JSONReader.Problem) -> ModuleParameter {
        try field.onlyMembers(["name", "type", "default", "min", "max", "unit", "description"])
        let nameField = try field.required("name")
        let name = try nameField.string()
        guard name.count <= 32, let first = name.first, first.isLetter, first.isLowercase,
            name.allSatisfy({ ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "_" }), name.allSatisfy(\.isASCII)
        else {
            throw nameField.problem("expected lower-case letters, digits and '_', starting with a letter")
        }
        let typeField = try field.required("type")
        guard let kind = try enumeration(typeField, ModuleParameter.Kind.init(rawValue:), ["int", "float", "bool"]) else {
            throw typeField.problem("expected int, float or bool")
        }
        func number(_ key: String) throws(JSONReader.Problem) -> Double? {
            guard let member = try field.optional(key) else { return nil }
            if kind == .bool, case .bool(let flag) = member.value { return flag ? 1 : 0 }
            return try member.number()
        }
        let minimum = try number("min")
        let maximum = try number("max")
        if let minimum, let maximum, minimum > maximum { throw field.problem("min is above max") }
        if kind == .bool, minimum != nil || maximum != nil { throw field.problem("a bool has no range") }
        let parameter = ModuleParameter(
            name: name, kind: kind, defaultValue: try number("default") ?? 0, minimum: minimum, maximum: maximum,
            unit: try field.optional("unit")?.string(), summary: try field.optional("description")?.string() ?? "")
        guard try field.optional("default") != nil else { throw field.problem("missing field \"default\"") }
        do {
            _ = try parameter.validate(parameter.defaultValue)
        } catch {
            throw try field.required("default").problem("the default is refused: \(error)")
        }
        return parameter
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard (1...32).contains(text.count), let first = text.first, first.isASCII, first.isLetter, first.isLowercase else {
            return false
        }
        return text.allSatisfy { $0.isASCII && (($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "-") }
    }
}
