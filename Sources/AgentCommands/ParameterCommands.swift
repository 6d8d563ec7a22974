import Agent
import ArgumentParser
import HardwareCommands
import JSON

/// `params NAME`: the service's parameters with values, defaults, ranges and units.
public struct ParamsCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "params", abstract: "List a service's parameters.")
    @Argument(help: "Service name.") var name: String
    @OptionGroup var options: JSONFlag
    public init() {}

    public func execute(in context: AgentContext) throws {
        let service = name
        let parameters = try onAgent(context) { requests throws(AgentRefusal) in try requests.parameters(of: service) }
        if options.json {
            context.write(JSONValue.object(parameters.map { ($0.parameter.name, number($0.value)) }).serialized)
            return
        }
        context.write(table(
            ["PARAMETER", "VALUE", "DEFAULT", "RANGE", "UNIT"],
            parameters.map { summary in
                let parameter = summary.parameter
                let range = parameter.kind == .bool ? "true/false" : "\(parameter.minimum.map(parameter.format) ?? "")..\(parameter.maximum.map(parameter.format) ?? "")"
                return [parameter.name, parameter.format(summary.value), parameter.format(parameter.defaultValue), range, parameter.unit ?? ""]
            }))
    }
}

/// `set NAME.PARAM VALUE`.
public struct SetCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a parameter (checked, stored, delivered): set rtc.aging -3")
    @Argument(help: "SERVICE.PARAMETER.") var target: String
    @Argument(help: "The value.") var value: String
    public init() {}

    public func execute(in context: AgentContext) throws {
        let (service, parameter) = try serviceAndParameter(target)
        let text = value
        context.write(try onAgent(context) { requests throws(AgentRefusal) in try requests.setParameter(service, parameter, text) })
    }
}

/// `get NAME.PARAM`.
public struct GetCommand: ParsableCommand, AgentConsoleCommand {
    public static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one parameter's value.")
    @Argument(help: "SERVICE.PARAMETER.") var target: String
    public init() {}

    public func execute(in context: AgentContext) throws {
        let (service, parameter) = try serviceAndParameter(target)
        context.write(try onAgent(context) { requests throws(AgentRefusal) in try requests.getParameter(service, parameter) })
    }
}
