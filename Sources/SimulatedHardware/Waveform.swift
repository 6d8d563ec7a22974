/// What drives a simulated input line from outside the board: a level as a function of
/// simulation time, with its transitions computable ahead of time so edges can be
/// produced lazily and exactly (no polling thread, deterministic under a test clock).
public indirect enum Waveform: Hashable, Sendable {
    /// Nothing drives the line; the requested bias decides its level.
    case floating
    case constant(Bool)
    /// A pattern repeating every `period` from `start`.
    case periodic(PeriodicPattern)
    /// A one-off sequence of steps (a console button press) over `base`; after the last
    /// step the base waveform takes over again.
    case script(start: UInt64, steps: [Step], base: Waveform)

    /// One level change, `at` nanoseconds after the pattern's or script's start.
    public struct Step: Hashable, Sendable {
        public var at: UInt64
        public var level: Bool

        public init(at: UInt64, level: Bool) {
            self.at = at
            self.level = level
        }
    }

    /// `steps` repeat every `period` nanoseconds from `start`; before `start`, and before
    /// a period's first step, the line sits at `idle`.
    public struct PeriodicPattern: Hashable, Sendable {
        public var start: UInt64
        public var period: UInt64
        public var idle: Bool
        public var steps: [Step]

        public init(start: UInt64, period: UInt64, idle: Bool, steps: [Step]) {
            self.start = start
            self.period = max(period, 1)
            self.idle = idle
            self.steps = steps.filter { $0.at < max(period, 1) }.sorted { $0.at < $1.at }
        }
    }

    /// The level at `time`, or nil when nothing drives the line.
    public func level(at time: UInt64) -> Bool? {
        switch self {
        case .floating:
            return nil
        case .constant(let level):
            return level
        case .periodic(let pattern):
            guard time >= pattern.start else { return pattern.idle }
            let phase = (time - pattern.start) % pattern.period
            return pattern.steps.last { $0.at <= phase }?.level ?? pattern.idle
        case .script(let start, let steps, let base):
            guard time >= start, let last = steps.last else { return base.level(at: time) }
            if time >= start + last.at { return base.level(at: time) ?? last.level }
            return steps.last { start + $0.at <= time }?.level ?? base.level(at: time)
        }
    }

    /// The first time strictly after `time` at which the level may change.
    public func nextTransition(after time: UInt64) -> UInt64? {
        switch self {
        case .floating, .constant:
            return nil
        case .periodic(let pattern):
            guard let first = pattern.steps.first else { return nil }
            // A period whose first step comes late starts by returning to idle at its boundary.
            let points = (first.at > 0 ? [0] : []) + pattern.steps.map(\.at)
            if time < pattern.start {
                return pattern.start + points[0]
            }
            let cycle = (time - pattern.start) / pattern.period
            let phase = (time - pattern.start) % pattern.period
            if let point = points.first(where: { $0 > phase }) {
                return pattern.start + cycle * pattern.period + point
            }
            return pattern.start + (cycle + 1) * pattern.period + points[0]
        case .script(let start, let steps, let base):
            if let step = steps.first(where: { start + $0.at > time }) {
                return start + step.at
            }
            let end = start + (steps.last?.at ?? 0)
            return base.nextTransition(after: max(time, end))
        }
    }

    /// The slowest and fastest pulse trains the simulator produces.
    public static let pulseRates: ClosedRange<Double> = 0.001...100_000

    /// A train of pulses at `hertz` with 50 % duty, rising first, from `start`.
    /// Rates below `pulseRates` give a quiet low line; above it, the top rate.
    public static func pulses(hertz: Double, start: UInt64) -> Waveform {
        guard hertz >= pulseRates.lowerBound else { return .constant(false) }
        let hertz = min(hertz, pulseRates.upperBound)
        let period = UInt64((1e9 / hertz).rounded())
        return .periodic(
            PeriodicPattern(
                start: start, period: period, idle: false,
                steps: [Step(at: 0, level: true), Step(at: period / 2, level: false)]))
    }

    /// The steps of one button press: contact bounce on the way down, held, bounce on
    /// release. `pressedLevel` is false for the usual active-low button with a pull-up.
    public static func pressSteps(
        holdNanoseconds: UInt64, bounces: Int, bounceIntervalNanoseconds: UInt64, pressedLevel: Bool
    ) -> [Step] {
        var steps: [Step] = []
        var time: UInt64 = 0
        func chatter(to level: Bool) {
            // Each bounce is a brief return to the old level before settling.
            for _ in 0..<bounces {
                steps.append(Step(at: time, level: level))
                time += bounceIntervalNanoseconds
                steps.append(Step(at: time, level: !level))
                time += bounceIntervalNanoseconds
            }
            steps.append(Step(at: time, level: level))
        }
        chatter(to: pressedLevel)
        time = max(time, holdNanoseconds)
        chatter(to: !pressedLevel)
        return steps
    }
}
