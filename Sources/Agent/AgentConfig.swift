import Boards
import Firmware
import JSON
import ModuleHost
import Platform
import Supervision

/// The agent's configuration: its board, where built-in modules are, the services with
/// their modules, grants, parameters and restart types, and the supervision tree.
public struct AgentConfig: Sendable {
    public struct Service: Sendable {
        public let name: String
        public let module: String
        public let grants: ServiceGrants
        /// `service.reading` names, bound in order to the module's `inputs`.
        public let inputs: [String]
        public let parameters: [String: Double]
        public let restart: RestartType
        /// Keep a second, compiled instance ready, so a restart after a crash is a bind and
        /// an init instead of an instantiation (a few hundred KiB of RAM for microseconds).
        public let standby: Bool
        /// How long one event of this service may take (`eventBudgetMs`, 1–400, default 100 ms).
        public var eventBudgetNanoseconds: UInt64 = ServiceResources.defaultEventBudgetNanoseconds
    }

    public let file: String
    public let board: String
    /// Folders holding the built-in `.wasm` modules (from the firmware image).
    public let moduleFolders: [String]
    public let services: [String: Service]
    public let supervisor: SupervisorSpec
    /// The firmware health gate (defaults when the config has no `firmware` section).
    public let firmware: TrialSettings
    /// The pause before the second and later restarts of a burst, doubling each time
    /// (the root supervisor's `backoffMilliseconds`, default 100); 0 restarts at once, as OTP does.
    public let restartBackoffMilliseconds: Int

    /// Start order: the supervision tree's order.
    public var serviceOrder: [String] { supervisor.services }

    /// Loads a config file. `root`, when given, is where the firmware image's root
    /// filesystem is (the simulated board's unpacked slot): absolute module folders are in it.
    public static func load(_ path: String, root: String? = nil) throws(JSONReader.Problem) -> AgentConfig {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 1 << 20)
        } catch {
            throw JSONReader.Problem(file: path, path: "", message: error.reason)
        }
        return try parse(bytes, file: path, root: root)
    }

    public static func parse(_ bytes: [UInt8], file: String, root: String? = nil) throws(JSONReader.Problem) -> AgentConfig {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw JSONReader.Problem(file: file, path: "", message: "not valid JSON: \(error)")
        }
        let reader = JSONReader(file: file, value: document)
        try reader.onlyMembers(["board", "modules", "services", "supervisor", "firmware"])
        let board = try reader.required("board").string()
        let folder = FileSystem.parent(file)
        var moduleFolders: [String] = []
        for entry in try reader.optional("modules")?.array() ?? [] {
            let path = try entry.string()
            moduleFolders.append(path.hasPrefix("/") ? (root ?? "") + path : folder + "/" + path)
        }

        var services: [String: Service] = [:]
        for (name, reader) in try reader.required("services").members() {
            guard isServiceName(name) else {
                throw reader.problem("service names are lower-case letters, digits and '-' (1-32 characters)")
            }
            services[name] = try parseService(name, reader)
        }
        let supervisorField = try reader.required("supervisor")
        let supervisor = try parseSupervisor(supervisorField, name: "root", isTop: true, services: services)
        var supervisorNames: [String] = []
        func collect(_ spec: SupervisorSpec) {
            supervisorNames.append(spec.name)
            for case .supervisor(let nested) in spec.children { collect(nested) }
        }
        collect(supervisor)
        if let duplicate = supervisorNames.first(where: { name in supervisorNames.filter { $0 == name }.count > 1 }) {
            throw supervisorField.problem("supervisor name \"\(duplicate)\" is used twice (restart counts are kept per supervisor)")
        }
        var seen: Set<String> = []
        for name in supervisor.services {
            guard seen.insert(name).inserted else { throw supervisorField.problem("service \"\(name)\" appears twice in the tree") }
        }
        if let missing = services.keys.sorted().first(where: { !seen.contains($0) }) {
            throw supervisorField.problem("service \"\(missing)\" is not under any supervisor")
        }
        for service in services.values {
            for input in service.inputs {
                let parts = input.split(separator: ".", maxSplits: 1)
                guard parts.count == 2, services[String(parts[0])] != nil else {
                    throw JSONReader.Problem(
                        file: file, path: "services.\(service.name).inputs",
                        message: "\"\(input)\" is not SERVICE.READING of a configured service")
                }
            }
        }
        var firmware = TrialSettings()
        if let field = try reader.optional("firmware") {
            try field.onlyMembers(["healthWindowSeconds", "validationDeadlineSeconds", "autoValidate"])
            firmware.healthWindowSeconds = try field.optional("healthWindowSeconds")?.number() ?? firmware.healthWindowSeconds
            firmware.validationDeadlineSeconds =
                try field.optional("validationDeadlineSeconds")?.number() ?? firmware.validationDeadlineSeconds
            firmware.autoValidate = try field.optional("autoValidate")?.bool() ?? firmware.autoValidate
            guard firmware.healthWindowSeconds >= 0, firmware.validationDeadlineSeconds > firmware.healthWindowSeconds,
                firmware.validationDeadlineSeconds <= 86_400
            else {
                throw field.problem("validationDeadlineSeconds must be longer than healthWindowSeconds (and at most a day)")
            }
        }
        let backoff = try supervisorField.optional("backoffMilliseconds")?.integer(in: 0...60_000) ?? 100
        return AgentConfig(
            file: file, board: board, moduleFolders: moduleFolders, services: services, supervisor: supervisor, firmware: firmware,
            restartBackoffMilliseconds: backoff)
    }

    static func isServiceName(_ text: String) -> Bool {
        guard (1...32).contains(text.count), let first = text.first, first.isASCII, first.isLowercase else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    private static func parseService(_ name: String, _ reader: JSONReader) throws(JSONReader.Problem) -> Service {
        try reader.onlyMembers(["module", "i2c", "gpio", "clockSet", "inputs", "parameters", "restart", "standby", "eventBudgetMs"])
        let module = try reader.required("module").string()
        var i2c: [ServiceGrants.I2C] = []
        for entry in try reader.optional("i2c")?.array() ?? [] {
            let text = try entry.string()
            do {
                i2c.append(try ServiceGrants.parseI2C(text))
            } catch {
                throw entry.problem(error.detail)
            }
        }
        var gpio: [ServiceGrants.GPIO] = []
        for entry in try reader.optional("gpio")?.array() ?? [] {
            let text = try entry.string()
            do {
                gpio.append(try ServiceGrants.parseGPIO(text))
            } catch {
                throw entry.problem(error.detail)
            }
        }
        var inputs: [String] = []
        for entry in try reader.optional("inputs")?.array() ?? [] { inputs.append(try entry.string()) }
        var parameters: [String: Double] = [:]
        for (key, value) in try reader.optional("parameters")?.members() ?? [] {
            switch value.value {
            case .bool(let flag): parameters[key] = flag ? 1 : 0
            default: parameters[key] = try value.number()
            }
        }
        var restart = RestartType.permanent
        if let field = try reader.optional("restart") {
            let text = try field.string()
            guard let parsed = RestartType(rawValue: text) else {
                throw field.problem("expected permanent, transient or temporary, found \"\(text)\"")
            }
            restart = parsed
        }
        var service = Service(
            name: name, module: module,
            grants: ServiceGrants(i2c: i2c, gpio: gpio, clockSet: try reader.optional("clockSet")?.bool() ?? false),
            inputs: inputs, parameters: parameters, restart: restart, standby: try reader.optional("standby")?.bool() ?? false)
        // Below the loop share (500 ms a second) and the watchdog's stall limit (2 s).
        if let budget = try reader.optional("eventBudgetMs")?.integer(in: 1...400) {
            service.eventBudgetNanoseconds = UInt64(budget) * 1_000_000
        }
        return service
    }

    private static func parseSupervisor(
        _ reader: JSONReader, name: String, isTop: Bool = false, services: [String: Service]
    ) throws(JSONReader.Problem) -> SupervisorSpec {
        try reader.onlyMembers(["name", "strategy", "intensity", "periodSeconds", "children", "backoffMilliseconds"])
        if !isTop, let backoff = try reader.optional("backoffMilliseconds") {
            throw backoff.problem("only the top supervisor sets backoffMilliseconds (it applies to the whole tree)")
        }
        let strategyField = try reader.required("strategy")
        let strategyText = try strategyField.string()
        guard let strategy = RestartStrategy(rawValue: strategyText) else {
            throw strategyField.problem("expected one_for_one, one_for_all or rest_for_one, found \"\(strategyText)\"")
        }
        let intensity = try reader.optional("intensity")?.integer(in: 0...1000) ?? 3
        let period = try reader.optional("periodSeconds")?.integer(in: 1...86_400) ?? 5
        var children: [SupervisorSpec.Child] = []
        for child in try reader.required("children").array() {
            switch child.value {
            case .string(let serviceName):
                guard let service = services[serviceName] else {
                    throw child.problem("no service \"\(serviceName)\" in services")
                }
                children.append(.service(name: serviceName, restart: service.restart))
            case .object:
                let nestedName = try child.required("name").string()
                children.append(.supervisor(try parseSupervisor(child, name: nestedName, services: services)))
            default:
                throw child.problem("expected a service name or a supervisor object")
            }
        }
        return SupervisorSpec(
            name: try reader.optional("name")?.string() ?? name, strategy: strategy, intensity: intensity,
            periodNanoseconds: UInt64(period) * 1_000_000_000, children: children)
    }
}
