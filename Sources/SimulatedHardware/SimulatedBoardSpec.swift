/// What a simulated board is made of: the data a board file describes, already checked.
public struct SimulatedBoardSpec: Hashable, Sendable {
    public var name: String
    public var buses: [Bus]
    public var chips: [Chip]

    public init(name: String, buses: [Bus], chips: [Chip]) {
        self.name = name
        self.buses = buses
        self.chips = chips
    }

    public struct Bus: Hashable, Sendable {
        public var number: Int
        public var devices: [Device]

        public init(number: Int, devices: [Device]) {
            self.number = number
            self.devices = devices
        }
    }

    public struct Device: Hashable, Sendable {
        public var address: UInt16
        public var model: Model

        public init(address: UInt16, model: Model) {
            self.address = address
            self.model = model
        }
    }

    /// Where an RTC's counters start.
    public enum TimeSeed: Hashable, Sendable {
        /// The host's wall time when the board starts.
        case system
        case unixSeconds(Int64)
    }

    public struct RTC: Hashable, Sendable {
        public var time: TimeSeed
        public var driftPPM: Double
        /// Start as after a first power-up: OSF/OS set, or DS1307's clock halted.
        public var lostPower: Bool

        public init(time: TimeSeed = .system, driftPPM: Double = 0, lostPower: Bool = false) {
            self.time = time
            self.driftPPM = driftPPM
            self.lostPower = lostPower
        }
    }

    public enum Model: Hashable, Sendable {
        case ds3231(RTC, temperature: Double)
        case ds1307(RTC)
        case pcf8523(RTC)
        case registerFile([UInt8])

        public var name: String {
            switch self {
            case .ds3231: return "ds3231"
            case .ds1307: return "ds1307"
            case .pcf8523: return "pcf8523"
            case .registerFile: return "register-file"
            }
        }
    }

    public struct Chip: Hashable, Sendable {
        public var name: String
        public var label: String
        public var lineCount: Int
        public var lines: [Line]

        public init(name: String, label: String, lineCount: Int, lines: [Line]) {
            self.name = name
            self.label = label
            self.lineCount = lineCount
            self.lines = lines
        }
    }

    public struct Line: Hashable, Sendable {
        public var offset: Int
        public var name: String?
        public var drive: Drive?
        /// Offset of an output on the same chip this input is wired to.
        public var wiredFrom: Int?

        public init(offset: Int, name: String?, drive: Drive? = nil, wiredFrom: Int? = nil) {
            self.offset = offset
            self.name = name
            self.drive = drive
            self.wiredFrom = wiredFrom
        }
    }

    /// A signal source attached to an input line.
    public enum Drive: Hashable, Sendable {
        case level(Bool)
        /// A push button, idle at the inactive level; pressed every `everyMilliseconds`
        /// (0: only when pressed from the console) for `holdMilliseconds`.
        case button(Button)
        /// A flow meter, rain gauge or anemometer: pulses at `hertz`.
        case pulses(hertz: Double)
    }

    public struct Button: Hashable, Sendable {
        public var activeLow: Bool
        public var everyMilliseconds: Int
        public var holdMilliseconds: Int
        public var bounces: Int
        public var bounceMicroseconds: Int

        public init(
            activeLow: Bool = true, everyMilliseconds: Int = 0, holdMilliseconds: Int = 200, bounces: Int = 3,
            bounceMicroseconds: Int = 300
        ) {
            self.activeLow = activeLow
            self.everyMilliseconds = everyMilliseconds
            self.holdMilliseconds = holdMilliseconds
            self.bounces = bounces
            self.bounceMicroseconds = bounceMicroseconds
        }
    }
}
