import Supervision
import Testing

let second: UInt64 = 1_000_000_000

func tree(_ strategy: RestartStrategy, _ restart: RestartType = .permanent, intensity: Int = 3) -> SupervisorMachine {
    SupervisorMachine(
        root: SupervisorSpec(
            name: "root", strategy: strategy, intensity: intensity, periodNanoseconds: 5 * second,
            children: [.service(name: "a", restart: .permanent), .service(name: "b", restart: restart), .service(name: "c", restart: .permanent)]))
}

@Suite struct SupervisorMachineTests {
    @Test(arguments: RestartStrategy.allCases)
    func aCrashedPermanentServiceIsRestartedByTheStrategy(strategy: RestartStrategy) {
        var machine = tree(strategy)
        let actions = machine.exited("b", abnormal: true, at: 10 * second)
        switch strategy {
        case .oneForOne:
            #expect(actions == [.start(["b"], delayNanoseconds: 0)])
        case .oneForAll:
            #expect(actions == [.stop(["c", "a"]), .start(["a", "b", "c"], delayNanoseconds: 0)])
        case .restForOne:
            #expect(actions == [.stop(["c"]), .start(["b", "c"], delayNanoseconds: 0)])
        }
    }

    @Test(arguments: RestartStrategy.allCases, [true, false])
    func restartTypesDecideWhetherToRestart(strategy: RestartStrategy, abnormal: Bool) {
        var temporary = tree(strategy, .temporary)
        #expect(temporary.exited("b", abnormal: abnormal, at: second) == [.leaveStopped("b")])
        var transient = tree(strategy, .transient)
        let actions = transient.exited("b", abnormal: abnormal, at: second)
        if abnormal {
            #expect(actions.contains { if case .start(let names, _) = $0 { return names.contains("b") } else { return false } })
        } else {
            #expect(actions == [.leaveStopped("b")])
        }
        var permanent = tree(strategy, .permanent)
        #expect(permanent.exited("b", abnormal: abnormal, at: second).contains {
            if case .start(let names, _) = $0 { return names.contains("b") } else { return false }
        })
    }

    @Test func beyondTheIntensityTheTopMarksTheServiceFailed() {
        var machine = tree(.oneForOne, intensity: 3)
        for offset in 0..<3 {
            let actions = machine.exited("b", abnormal: true, at: UInt64(offset) * second)
            #expect(actions.count == 1)
        }
        let last = machine.exited("b", abnormal: true, at: 3 * second)
        guard case .fail("b", let reason) = last.first else {
            Issue.record("expected b to fail, got \(last)")
            return
        }
        #expect(reason.contains("more than 3 restarts in 5.0 s"))
        // The others are untouched: no stop action.
        #expect(last.count == 1)
    }

    @Test func restartsOutsideThePeriodDoNotCount() {
        var machine = tree(.oneForOne, intensity: 2)
        for minute in 0..<10 {
            let actions = machine.exited("b", abnormal: true, at: UInt64(minute) * 60 * second)
            #expect(actions == [.start(["b"], delayNanoseconds: 0)])
        }
    }

    @Test func burstsBackOffExponentially() {
        var machine = tree(.oneForOne, intensity: 10)
        let delays = (0..<5).map { index -> UInt64 in
            guard case .start(_, let delay) = machine.exited("a", abnormal: true, at: UInt64(index) * 1_000_000).first else { return .max }
            return delay
        }
        #expect(delays == [0, 100_000_000, 200_000_000, 400_000_000, 800_000_000])
    }

    @Test func aNestedSupervisorEscalatesToItsParent() {
        let nested = SupervisorSpec(
            name: "sensors", strategy: .oneForOne, intensity: 1, periodNanoseconds: 10 * second,
            children: [.service(name: "button", restart: .permanent), .service(name: "flow", restart: .permanent)])
        var machine = SupervisorMachine(
            root: SupervisorSpec(
                name: "root", strategy: .restForOne, intensity: 5, periodNanoseconds: 10 * second,
                children: [.service(name: "rtc", restart: .permanent), .supervisor(nested), .service(name: "fan", restart: .permanent)]))
        #expect(machine.exited("flow", abnormal: true, at: second) == [.start(["flow"], delayNanoseconds: 0)])
        // The second crash in the period exceeds the nested intensity: the subtree goes down
        // and the root (rest_for_one) restarts it and everything after it.
        let escalated = machine.exited("flow", abnormal: true, at: 2 * second)
        #expect(escalated == [.stop(["button"]), .stop(["fan"]), .start(["button", "flow", "fan"], delayNanoseconds: 0)])
    }

    @Test func whenTheTopGivesUpAfterAnEscalationTheStoppedSiblingsComeBack() {
        let nested = SupervisorSpec(
            name: "sensors", strategy: .oneForOne, intensity: 0, periodNanoseconds: 10 * second,
            children: [.service(name: "a", restart: .permanent), .service(name: "b", restart: .permanent)])
        var machine = SupervisorMachine(
            root: SupervisorSpec(name: "root", strategy: .oneForOne, intensity: 0, periodNanoseconds: 10 * second, children: [.supervisor(nested)]))
        let actions = machine.exited("a", abnormal: true, at: second)
        #expect(actions.count == 3)
        #expect(actions[0] == .stop(["b"]))
        guard case .fail("a", _) = actions[1] else {
            Issue.record("a is not failed: \(actions)")
            return
        }
        #expect(actions[2] == .start(["b"], delayNanoseconds: 0))
    }

    @Test func anUnknownServiceChangesNothing() {
        var machine = tree(.oneForAll)
        #expect(machine.exited("nobody", abnormal: true, at: 0).isEmpty)
    }

    @Test func servicesAreListedInStartOrder() {
        let nested = SupervisorSpec(name: "n", strategy: .oneForOne, intensity: 1, periodNanoseconds: second, children: [.service(name: "x", restart: .permanent)])
        let spec = SupervisorSpec(
            name: "root", strategy: .oneForOne, intensity: 1, periodNanoseconds: second,
            children: [.service(name: "a", restart: .permanent), .supervisor(nested), .service(name: "b", restart: .temporary)])
        #expect(spec.services == ["a", "x", "b"])
    }
}
