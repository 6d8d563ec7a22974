import Hardware
import JSON
import Platform
import SimulatedHardware

/// Reads a `board.json` into a `BoardDescription`, refusing anything unexpected with the
/// file, the field path and what was expected.
public enum BoardFileParser {
    public static let fileName = "board.json"

    /// Parses board file text; `file` and `folder` are only used in messages and paths.
    public static func parse(_ bytes: [UInt8], file: String, folder: String) throws(JSONReader.Problem) -> BoardDescription {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw JSONReader.Problem(file: file, path: "", message: "not valid JSON: \(error)")
        }
        let root = JSONReader(file: file, value: document)
        try root.onlyMembers(["name", "description", "backend", "i2c", "gpio", "bootEnv", "firmware", "watchdog"])
        let name = try root.required("name").string()
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw try root.required("name").problem("expected a name of letters, digits, '-' and '_'")
        }
        let summary = try root.optional("description")?.string() ?? ""
        let backendField = try root.required("backend")
        let backendName = try backendField.string()
        guard backendName == "simulated" || backendName == "linux" else {
            throw backendField.problem("expected \"simulated\" or \"linux\", found \"\(backendName)\"")
        }
        let simulated = backendName == "simulated"

        var buses: [SimulatedBoardSpec.Bus] = []
        for busReader in try root.optional("i2c")?.array() ?? [] {
            let bus = try parseBus(busReader, simulated: simulated)
            if buses.contains(where: { $0.number == bus.number }) {
                throw try busReader.required("bus").problem("bus \(bus.number) is listed twice")
            }
            buses.append(bus)
        }

        var chips: [SimulatedBoardSpec.Chip] = []
        for chipReader in try root.optional("gpio")?.array() ?? [] {
            let chip = try parseChip(chipReader, simulated: simulated)
            if chips.contains(where: { $0.name == chip.name }) {
                throw try chipReader.required("chip").problem("chip \(chip.name) is listed twice")
            }
            chips.append(chip)
        }

        var bootEnv: String?
        if let field = try root.optional("bootEnv") {
            let relative = try field.string()
            guard !relative.contains("/"), !relative.isEmpty else {
                throw field.problem("expected a file name in the board folder")
            }
            let path = folder + "/" + relative
            guard FileSystem.exists(path) else { throw field.problem("\(path) does not exist") }
            bootEnv = path
        }

        var firmware: BoardDescription.Firmware?
        if let field = try root.optional("firmware") {
            try field.onlyMembers(["slots", "slotSize", "envSize"])
            let slotsField = try field.required("slots")
            try slotsField.onlyMembers(["a", "b"])
            var slots: [String: String] = [:]
            for name in ["a", "b"] {
                let path = try slotsField.required(name).string()
                guard !path.isEmpty, !path.split(separator: "/").contains("..") else {
                    throw try slotsField.required(name).problem("expected a device or a file name")
                }
                slots[name] = path
            }
            guard slots["a"] != slots["b"] else { throw slotsField.problem("slots a and b are the same device") }
            let slotSize = try field.optional("slotSize")?.integer(in: 4096...(1 << 40))
            if simulated, slotSize == nil { throw field.problem("a simulated board's slots are files: give slotSize") }
            let environmentSize = try field.optional("envSize")?.integer(in: 1024...(1 << 20)) ?? 0x4000
            if bootEnv == nil, !simulated { throw field.problem("a Linux board with slots needs bootEnv (its fw_env.config)") }
            firmware = BoardDescription.Firmware(slots: slots, slotSize: slotSize, environmentSize: environmentSize)
        }

        var watchdog: String?
        if let field = try root.optional("watchdog") {
            let path = try field.string()
            guard !path.isEmpty, !path.split(separator: "/").contains("..") else { throw field.problem("expected a device path") }
            watchdog = path
        }

        var lineNames: [String: [Int: String]] = [:]
        for chip in chips {
            lineNames[chip.name] = Dictionary(uniqueKeysWithValues: chip.lines.compactMap { line in line.name.map { (line.offset, $0) } })
        }
        let backend: BoardDescription.Backend =
            simulated
            ? .simulated(SimulatedBoardSpec(name: name, buses: buses, chips: chips))
            : .linux(buses: buses.map(\.number), chips: chips.map(\.name))
        return BoardDescription(
            name: name, summary: summary, folder: folder, backend: backend, bootEnvironmentConfig: bootEnv,
            watchdog: watchdog, firmware: firmware, lineNames: lineNames)
    }

    private static func parseBus(_ reader: JSONReader, simulated: Bool) throws(JSONReader.Problem) -> SimulatedBoardSpec.Bus {
        try reader.onlyMembers(["bus", "devices"])
        let number = try reader.required("bus").integer(in: 0...1023)
        var devices: [SimulatedBoardSpec.Device] = []
        for deviceReader in try reader.optional("devices")?.array() ?? [] {
            try deviceReader.onlyMembers(["address", "model", "time", "driftPpm", "temperature", "lostPower", "registers"])
            let addressField = try deviceReader.required("address")
            let rawAddress = try addressField.integer(in: 0...0x7F)
            let address: I2CAddress
            do {
                address = try I2CAddress(rawAddress, bus: number)
            } catch {
                throw addressField.problem(error.detail)
            }
            if devices.contains(where: { $0.address == address.rawValue }) {
                throw addressField.problem("address \(address) is used twice on i2c-\(number)")
            }
            let model = try parseModel(deviceReader)
            devices.append(SimulatedBoardSpec.Device(address: address.rawValue, model: model))
        }
        return SimulatedBoardSpec.Bus(number: number, devices: devices)
    }

    private static func parseModel(_ reader: JSONReader) throws(JSONReader.Problem) -> SimulatedBoardSpec.Model {
        let modelField = try reader.required("model")
        let model = try modelField.string()
        var rtc = SimulatedBoardSpec.RTC()
        if let time = try reader.optional("time") {
            switch time.value {
            case .string("system"): rtc.time = .system
            case .number: rtc.time = .unixSeconds(Int64(try time.integer(in: 946_684_800...4_102_444_799)))
            default: throw time.problem("expected \"system\" or Unix seconds between 2000 and 2099")
            }
        }
        if let drift = try reader.optional("driftPpm") {
            rtc.driftPPM = try drift.number()
            guard abs(rtc.driftPPM) <= 1000 else { throw drift.problem("expected -1000 to 1000 ppm") }
        }
        rtc.lostPower = try reader.optional("lostPower")?.bool() ?? false
        switch model {
        case "ds3231":
            var temperature = 25.0
            if let field = try reader.optional("temperature") {
                temperature = try field.number()
                guard (-40...85).contains(temperature) else { throw field.problem("expected -40 to 85 °C (the DS3231's range)") }
            }
            return .ds3231(rtc, temperature: temperature)
        case "ds1307":
            return .ds1307(rtc)
        case "pcf8523":
            return .pcf8523(rtc)
        case "register-file":
            var bytes: [UInt8] = []
            for byte in try reader.optional("registers")?.array() ?? [] {
                bytes.append(UInt8(try byte.integer(in: 0...255)))
            }
            guard bytes.count <= 256 else { throw try reader.required("registers").problem("expected at most 256 bytes") }
            return .registerFile(bytes)
        default:
            throw modelField.problem("unknown model \"\(model)\" (expected ds3231, ds1307, pcf8523 or register-file)")
        }
    }

    private static func parseChip(_ reader: JSONReader, simulated: Bool) throws(JSONReader.Problem) -> SimulatedBoardSpec.Chip {
        try reader.onlyMembers(["chip", "label", "lineCount", "lines"])
        let nameField = try reader.required("chip")
        let name = try nameField.string()
        guard name.hasPrefix("gpiochip"), Int(name.dropFirst(8)) != nil else {
            throw nameField.problem("expected a chip name like gpiochip0, found \"\(name)\"")
        }
        let label = try reader.optional("label")?.string() ?? name
        let lineCount: Int
        if simulated {
            lineCount = try reader.required("lineCount").integer(in: 1...512)
        } else {
            lineCount = try reader.optional("lineCount")?.integer(in: 1...512) ?? 512
        }
        var lines: [SimulatedBoardSpec.Line] = []
        var wires: [(JSONReader, Int)] = []
        for lineReader in try reader.optional("lines")?.array() ?? [] {
            try lineReader.onlyMembers(["offset", "name", "level", "button", "pulses", "wiredFrom"])
            let offset = try lineReader.required("offset").integer(in: 0...(lineCount - 1))
            let lineName = try lineReader.optional("name")?.string()
            if lines.contains(where: { $0.offset == offset }) {
                throw try lineReader.required("offset").problem("line \(offset) is listed twice")
            }
            if let lineName, lines.contains(where: { $0.name == lineName }) {
                throw try lineReader.required("name").problem("line name \"\(lineName)\" is used twice on \(name)")
            }
            let drives = ["level", "button", "pulses", "wiredFrom"].filter { (try? lineReader.optional($0)) != nil }
            if drives.count > 1 {
                throw lineReader.problem("a line has one source; found \(drives.joined(separator: " and "))")
            }
            if !simulated, !drives.isEmpty {
                throw lineReader.problem("\(drives[0]) only applies to simulated boards")
            }
            var drive: SimulatedBoardSpec.Drive?
            if let level = try lineReader.optional("level") {
                drive = .level(try level.integer(in: 0...1) == 1)
            } else if let button = try lineReader.optional("button") {
                drive = .button(try parseButton(button))
            } else if let pulses = try lineReader.optional("pulses") {
                try pulses.onlyMembers(["hertz"])
                let hertz = try pulses.required("hertz").number()
                guard hertz == 0 || Waveform.pulseRates.contains(hertz) else {
                    throw try pulses.required("hertz").problem("expected 0.001-100000 Hz, or 0 for a quiet line")
                }
                drive = .pulses(hertz: hertz)
            } else if let wire = try lineReader.optional("wiredFrom") {
                wires.append((wire, offset))
            }
            lines.append(SimulatedBoardSpec.Line(offset: offset, name: lineName, drive: drive))
        }
        // Wires resolve after every line is known, so they may name a later line.
        for (wire, target) in wires {
            let source: Int
            switch wire.value {
            case .string(let sourceName):
                if let found = lines.first(where: { $0.name == sourceName }) {
                    source = found.offset
                } else if let number = Int(sourceName), (0..<lineCount).contains(number) {
                    source = number
                } else {
                    throw wire.problem("no line named \"\(sourceName)\" on \(name)")
                }
            default:
                source = try wire.integer(in: 0...(lineCount - 1))
            }
            guard source != target else { throw wire.problem("a line cannot be wired to itself") }
            if let index = lines.firstIndex(where: { $0.offset == target }) { lines[index].wiredFrom = source }
        }
        return SimulatedBoardSpec.Chip(name: name, label: label, lineCount: lineCount, lines: lines)
    }

    private static func parseButton(_ reader: JSONReader) throws(JSONReader.Problem) -> SimulatedBoardSpec.Button {
        try reader.onlyMembers(["activeLow", "everyMs", "holdMs", "bounces", "bounceUs"])
        var button = SimulatedBoardSpec.Button()
        button.activeLow = try reader.optional("activeLow")?.bool() ?? true
        button.everyMilliseconds = try reader.optional("everyMs")?.integer(in: 0...86_400_000) ?? 0
        button.holdMilliseconds = try reader.optional("holdMs")?.integer(in: 1...60_000) ?? 200
        button.bounces = try reader.optional("bounces")?.integer(in: 0...100) ?? 3
        button.bounceMicroseconds = try reader.optional("bounceUs")?.integer(in: 1...100_000) ?? 300
        // A press lasts its hold plus the release bounces (press bounces fall inside the hold
        // unless they outlast it); it must end before the next press begins.
        let bounceMicroseconds = 2 * button.bounces * button.bounceMicroseconds
        let pressMicroseconds = max(bounceMicroseconds, button.holdMilliseconds * 1000) + bounceMicroseconds
        if button.everyMilliseconds > 0, button.everyMilliseconds * 1000 <= pressMicroseconds {
            throw reader.problem(
                "everyMs must be longer than one press (holdMs plus bounces: \((pressMicroseconds + 999) / 1000) ms)")
        }
        return button
    }
}
