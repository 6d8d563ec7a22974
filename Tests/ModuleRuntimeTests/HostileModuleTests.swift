import Hardware
import Manifests
import ModuleABI
import ModuleHost
import ModuleRuntime
import SimulatedHardware
import Testing

/// Modules that misbehave: each is refused at load or contained as a crash of its own
/// service, and the host (and every other instance) carries on.
@Suite struct HostileModuleTests {
    func refusal(_ bytes: [UInt8], grants: ServiceGrants = ServiceGrants()) -> String? {
        do {
            _ = try instantiate(bytes, grants: grants, board: runtimeBoard())
            return nil
        } catch {
            return "\(error)"
        }
    }

    func refusedKind(_ bytes: [UInt8]) -> ModuleRefusal.Kind? {
        do {
            _ = try instantiate(bytes, grants: ServiceGrants(), board: runtimeBoard())
            return nil
        } catch let refusal as ModuleRefusal {
            return refusal.kind
        } catch {
            return nil
        }
    }

    func crash(_ bytes: [UInt8], grants: ServiceGrants = ServiceGrants(), _ body: (ModuleInstance) throws -> Void) throws -> ServiceCrash? {
        let instance = try instantiate(bytes, grants: grants, board: runtimeBoard())
        do {
            try body(instance)
            return nil
        } catch let crash as ServiceCrash {
            // A crashed instance refuses further events.
            #expect(throws: ServiceCrash.self) { try instance.tick() }
            return crash
        }
    }

    @Test func aWellFormedFixtureLoads() throws {
        #expect(refusal(try watModule()) == nil)
    }

    @Test func aTrapIsAServiceCrashWithTheReason() throws {
        let bytes = try watModule(overrides: ["mf_tick": "(func (export \"mf_tick\") (result i32) unreachable)"])
        let crash = try #require(try crash(bytes) { try $0.tick() })
        #expect(crash.kind == .trap)
        #expect(crash.description == "hostile 1.0.0 crashed in tick: unreachable")
    }

    @Test func anEndlessLoopRunsOutOfFuel() throws {
        let bytes = try watModule(overrides: ["mf_tick": "(func (export \"mf_tick\") (result i32) (loop $l (br $l)) (i32.const 0))"])
        let crash = try #require(try crash(bytes) { try $0.tick() })
        #expect(crash.kind == .outOfFuel)
        #expect(crash.reason == "out of fuel")
    }

    /// An instance of `bytes` whose events may take `nanoseconds`.
    func instance(_ bytes: [UInt8], budgetNanoseconds nanoseconds: UInt64) throws -> ModuleInstance {
        let board = runtimeBoard()
        let artifact = try ModuleArtifact(bytes: bytes, source: "test", engine: engine)
        let resources = try ServiceResources(
            serviceName: "test", manifest: artifact.manifest, grants: ServiceGrants(), parameters: [], backend: board,
            time: SimulatedSystemTime(clock: board.clock))
        resources.eventBudgetNanoseconds = nanoseconds
        return try ModuleInstance(artifact: artifact, resources: resources, engine: engine)
    }

    @Test func theBudgetIsMeasuredOnThisMachine() {
        let measured = ModuleEngine.measureFuelPerMillisecond()
        #expect(measured != nil)
        #expect(engine.fuel(forNanoseconds: 5_000_000) < engine.fuel(forNanoseconds: 50_000_000))
        #expect(engine.fuel(forNanoseconds: 3_600_000_000_000) == engine.limits.fuelPerEvent, "never above the ceiling")
    }

    @Test func aFiniteButLongEventIsStoppedAtItsTimeBudget() throws {
        // About 16 million instructions: within the fixed ceiling of 20 million, far beyond 5 ms.
        #expect(engine.fuel(forNanoseconds: 5_000_000) < 16_000_000)
        let bytes = try watModule(overrides: [
            "mf_tick": """
            (func (export "mf_tick") (result i32) (local $n i32)
              (local.set $n (i32.const 4000000))
              (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
              (i32.const 0))
            """
        ])
        let hog = try instance(bytes, budgetNanoseconds: 5_000_000)
        do {
            try hog.tick()
            Issue.record("a 16-million-instruction tick ran to its end within a 5 ms budget")
        } catch {
            #expect(error.kind == .outOfFuel)
        }
    }

    @Test func timeInHostCallsCountsTowardTheBudget() throws {
        // Cheap in fuel, costly in the host: logging in a loop.
        let bytes = try watModule(
            imports: #"(import "midflight" "log" (func $log (param i32 i32 i32)))"#,
            overrides: [
                "mf_tick": """
                (func (export "mf_tick") (result i32)
                  (loop $l (call $log (i32.const 1) (i32.const 0) (i32.const 400)) (br $l))
                  (i32.const 0))
                """
            ])
        // A 1 ns budget: the deadline has passed by the first host call, long before its fuel runs out.
        let hog = try instance(bytes, budgetNanoseconds: 1)
        do {
            try hog.tick()
            Issue.record("an endless loop of host calls ended")
        } catch {
            #expect(error.kind == .outOfFuel)
            #expect(error.reason == "over its 0 ms budget (in host calls)", "\(error.reason)")
        }
    }

    @Test func endlessRecursionExhaustsTheStack() throws {
        let bytes = try watModule(
            overrides: ["mf_tick": "(func $t (export \"mf_tick\") (result i32) (call $t))"])
        let crash = try #require(try crash(bytes) { try $0.tick() })
        #expect(crash.reason == "call stack exhausted")
    }

    @Test func memoryGrowthStopsAtTheDeclaredMaximum() throws {
        // Grows a page at a time until refused, then returns the page count (16 = 1 MiB) as its status.
        let bytes = try watModule(
            memory: #"(memory (export "memory") 1 16)"#,
            overrides: [
                "mf_tick": """
                (func (export "mf_tick") (result i32)
                  (block $done (loop $grow
                    (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                    (br $grow)))
                  (memory.size))
                """
            ])
        let crash = try #require(try crash(bytes) { try $0.tick() })
        #expect(crash.reason == "returned status 16")
    }

    @Test(arguments: [
        (#"(memory (export "memory") 1)"#, "a module defines exactly one memory with a maximum size"),
        (#"(memory (export "memory") 1 1000)"#, "memory may grow to 1000 pages of 64 KiB, above the 16 pages (1024 KiB) limit"),
        (#"(memory (export "memory") 1 0xFFFFFFFF)"#, "memory may grow to 4294967295 pages of 64 KiB, above the 16 pages (1024 KiB) limit"),
        ("", "a module defines exactly one memory with a maximum size"),
    ])
    func refusesUnboundedOrHugeMemory(memory: String, message: String) throws {
        #expect(refusal(try watModule(memory: memory))?.contains(message) == true)
    }

    @Test func aTableWithoutAMaximumIsRefusedBeforeItCanGrow() throws {
        // The attack: grow a table without a maximum by a million entries per step.
        let bytes = try watModule(
            overrides: [
                "mf_init": """
                (func (export "mf_init") (result i32)
                  (loop $grow
                    (drop (table.grow $t (ref.null func) (i32.const 1000000)))
                    (br $grow))
                  (i32.const 0))
                """
            ],
            extra: "(table $t 0 funcref)")
        #expect(refusal(bytes)?.contains("a table has no maximum size") == true)
        #expect(refusedKind(bytes) == .limits)
    }

    @Test(arguments: [
        "(table 100000000 100000000 funcref)", "(table 0 10001 funcref)", "(table 0 6000 funcref) (table $u 0 6000 externref)",
    ])
    func refusesTablesBeyondTheLimit(table: String) throws {
        #expect(refusal(try watModule(extra: table))?.contains("tables may grow beyond 10000 entries") == true)
    }

    @Test func tableGrowthStopsAtTheDeclaredMaximum() throws {
        let bytes = try watModule(
            overrides: [
                "mf_tick": """
                (func (export "mf_tick") (result i32)
                  (block $done (loop $grow
                    (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 1000)) (i32.const -1)))
                    (br $grow)))
                  (table.size $t))
                """
            ],
            extra: "(table $t 0 10000 funcref)")
        #expect(try #require(try crash(bytes) { try $0.tick() }).reason == "returned status 10000")
    }

    @Test func aStateTooBigToCarrySaysSoAndHowBigItMayBe() throws {
        let bytes = try watModule(
            imports: #"(import "midflight" "state_put" (func $put (param i32 i32) (result i32)))"#,
            memory: #"(memory (export "memory") 2 2)"#,
            overrides: ["mf_snapshot": #"(func (export "mf_snapshot") (result i32) (call $put (i32.const 0) (i32.const 70000)))"#])
        let crash = try #require(try crash(bytes) { _ = try $0.snapshot() })
        #expect(crash.reason == "its state is 70000 bytes, more than the 65536 bytes (64 KiB) a hot swap carries")
    }

    @Test func anOutOfBoundsPointerToAHostCallIsRefusedNotFollowed() throws {
        let bytes = try watModule(
            manifest: #"{"name": "hostile", "version": "1.0.0", "abi": 1, "capabilities": {"i2c": [{"role": "rtc"}]}}"#,
            imports: #"(import "midflight" "i2c_read" (func $read (param i32 i32 i32 i32) (result i32)))"#,
            overrides: [
                "mf_tick": "(func (export \"mf_tick\") (result i32) (call $read (i32.const 0) (i32.const 0) (i32.const 65530) (i32.const 8)))",
                "mf_init": "(func (export \"mf_init\") (result i32) (call $read (i32.const 0) (i32.const 0) (i32.const -8) (i32.const 8)))",
            ])
        let grants = ServiceGrants(i2c: [try ServiceGrants.parseI2C("i2c-1@0x68")])
        #expect(try crash(bytes, grants: grants) { try $0.tick() }?.reason == "returned status badPointer")
        #expect(try crash(bytes, grants: grants) { try $0.start() }?.reason == "returned status badPointer")
    }

    @Test func ungrantedDevicesLinesAndTheClockAreRefused() throws {
        let bytes = try watModule(
            manifest: #"{"name": "hostile", "version": "1.0.0", "abi": 1, "capabilities": {"gpio": [{"role": "in"}]}}"#,
            imports: """
                (import "midflight" "i2c_read" (func $read (param i32 i32 i32 i32) (result i32)))
                (import "midflight" "gpio_read" (func $gpio (param i32) (result i32)))
                (import "midflight" "gpio_write" (func $write (param i32 i32) (result i32)))
                (import "midflight" "clock_set_wall_ns" (func $clock (param i64) (result i32)))
                """,
            overrides: [
                "mf_tick": "(func (export \"mf_tick\") (result i32) (call $read (i32.const 0) (i32.const 0) (i32.const 64) (i32.const 1)))",
                "mf_init": "(func (export \"mf_init\") (result i32) (call $gpio (i32.const 1)))",
                "mf_terminate": "(func (export \"mf_terminate\") (result i32) (call $clock (i64.const 0)))",
                "mf_snapshot": "(func (export \"mf_snapshot\") (result i32) (call $write (i32.const 0) (i32.const 1)))",
            ])
        let grants = ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:button")])
        #expect(try crash(bytes, grants: grants) { try $0.tick() }?.reason == "returned status notGranted")
        #expect(try crash(bytes, grants: grants) { try $0.start() }?.reason == "returned status notGranted")
        #expect(try crash(bytes, grants: grants) { try $0.terminate() }?.reason == "returned status notGranted")
        // Writing to a line granted as an input is refused too.
        #expect(try crash(bytes, grants: grants) { _ = try $0.snapshot() }?.reason == "returned status invalidArgument")
    }

    @Test func aManifestAskingBeyondTheGrantsIsRefused() throws {
        let bytes = try watModule(
            manifest: #"{"name": "hostile", "version": "1.0.0", "abi": 1, "capabilities": {"i2c": [{"role": "a"}, {"role": "b"}], "clockSet": true}}"#)
        #expect(refusal(bytes, grants: ServiceGrants(i2c: [try ServiceGrants.parseI2C("i2c-1@0x68")]))?
            .contains("needs 2 I2C device(s) (a, b) but service test is granted 1") == true)
        #expect(refusal(bytes, grants: ServiceGrants(i2c: [try ServiceGrants.parseI2C("i2c-1@0x68"), try ServiceGrants.parseI2C("i2c-1@0x69")]))?
            .contains("needs to set the system clock") == true)
    }

    @Test func theWrongABIIsRefused() throws {
        #expect(refusal(try watModule(manifest: #"{"name": "hostile", "version": "1.0.0", "abi": 3}"#))
            == "hostile 1.0.0 was built for module ABI 3; this agent runs ABI 1 to 2")
        let lying = try watModule(overrides: ["mf_abi_version": "(func (export \"mf_abi_version\") (result i32) (i32.const 7))"])
        #expect(refusal(lying) == "hostile 1.0.0 reports an ABI other than the 1 its manifest names")
        #expect(refusedKind(lying) == .incompatible)
        // A manifest saying 2 with a module answering 1 (or the reverse) is a lie too.
        #expect(refusal(try watModule(manifest: #"{"name": "hostile", "version": "1.0.0", "abi": 2}"#))
            == "hostile 1.0.0 reports an ABI other than the 2 its manifest names")
    }

    static let healthImport = #"(import "midflight" "health_report" (func $health (param i32 i32 i32) (result i32)))"#

    /// An ABI 2 module whose tick reports `health` with the reason at 64 (5 bytes), and
    /// stores the status the host answered at 0.
    static func reporting(_ health: Int32, reason: String = "#data", length: Int32 = 5) throws -> [UInt8] {
        try watModule(
            manifest: #"{"name": "hostile", "version": "1.0.0", "abi": 2}"#, imports: healthImport,
            overrides: [
                "mf_abi_version": "(func (export \"mf_abi_version\") (result i32) (i32.const 2))",
                "mf_tick": "(func (export \"mf_tick\") (result i32) (i32.store (i32.const 0) (call $health (i32.const \(health)) (i32.const 64) (i32.const \(length)))) (i32.const 0))",
            ],
            extra: #"(data (i32.const 64) "stuck")"#)
    }

    @Test func anABI2ModuleReportsItsHealthAndItIsKeptPerInstance() throws {
        let board = runtimeBoard()
        let failing = try instantiate(try Self.reporting(2), board: board)
        #expect(failing.health == .healthy)
        try failing.start()
        try failing.tick()
        #expect(failing.health == .failing(reason: "stuck"))
        let degraded = try instantiate(try Self.reporting(1), board: board)
        try degraded.tick()
        #expect(degraded.health == .degraded(reason: "stuck"))
        #expect(failing.health.isFailing)
    }

    @Test func aHealthReportOutsideTheABIIsRefusedWithoutChangingAnything() throws {
        let board = runtimeBoard()
        let unknown = try instantiate(try Self.reporting(9), board: board)
        try unknown.tick()
        #expect(unknown.health == .healthy)
        let outside = try instantiate(try Self.reporting(2, length: 70_000), board: board)
        try outside.tick()
        #expect(outside.health == .healthy)
    }

    @Test func aTrapCarriesTheErrorTheModuleLoggedJustBefore() throws {
        let log = #"(import "midflight" "log" (func $log (param i32 i32 i32)))"#
        func module(level: Int) throws -> [UInt8] {
            try watModule(
                imports: log,
                overrides: ["mf_tick": "(func (export \"mf_tick\") (result i32) (call $log (i32.const \(level)) (i32.const 64) (i32.const 14)) unreachable)"],
                extra: #"(data (i32.const 64) "sensor is gone")"#)
        }
        let said = try instantiate(try module(level: 3), board: runtimeBoard())
        #expect(throws: ServiceCrash.self) { try said.tick() }
        #expect(said.crash?.reason == "unreachable (it said: sensor is gone)")
        // Only an error line counts, and only from the event that trapped.
        let quiet = try instantiate(try module(level: 1), board: runtimeBoard())
        #expect(throws: ServiceCrash.self) { try quiet.tick() }
        #expect(quiet.crash?.reason == "unreachable")
    }

    @Test func anABI1ModuleMayNotImportWhatABI2Added() throws {
        let bytes = try watModule(imports: Self.healthImport)
        #expect(refusal(bytes) == "hostile 1.0.0 imports health_report, which came with ABI 2, but says it is built for ABI 1")
    }

    @Test func missingExportsAndWrongSignaturesAreRefused() throws {
        #expect(refusal(try watModule(omit: ["mf_snapshot", "mf_code_change"])) == "hostile 1.0.0 does not export mf_snapshot, mf_code_change")
        let wrong = try watModule(overrides: ["mf_tick": "(func (export \"mf_tick\") (param i32) (result i32) (i32.const 0))"])
        #expect(refusal(wrong) == "hostile 1.0.0: mf_tick has the wrong signature (expected mf_tick() -> (i32))")
        #expect(refusedKind(wrong) == .missingExport)
        #expect(refusal(try watModule(memory: "(memory 1 1)")) == "hostile 1.0.0 does not export its memory")
    }

    @Test func foreignImportsAreRefused() throws {
        let bytes = try watModule(imports: #"(import "env" "system" (func (param i32) (result i32)))"#)
        #expect(refusal(bytes) == "hostile 1.0.0 imports env.system, which the host does not provide")
        #expect(refusedKind(bytes) == .incompatible)
    }

    @Test(arguments: [
        ([UInt8](), "not a WebAssembly module"),
        ([UInt8]("hello, world".utf8), "not a WebAssembly module"),
        ([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF], "not a WebAssembly module"),
    ])
    func garbageIsRefused(bytes: [UInt8], message: String) {
        #expect(refusal(bytes)?.contains(message) == true)
        #expect(refusedKind(bytes) == .invalid)
    }

    @Test func aModuleWithoutAManifestOrWithABadOneIsRefused() throws {
        #expect(refusal(try watModule(embedManifest: false))?.contains("no midflight.manifest section") == true)
        #expect(refusal(try watModule(manifest: #"{"name": "Hostile!", "version": "1.0.0", "abi": 1}"#))?.contains("name: expected lower-case") == true)
        #expect(refusal(try watModule(manifest: "{not json"))?.contains("not valid JSON") == true)
    }

    @Test func aTruncatedModuleIsRefused() throws {
        let bytes = try BuiltModules.bytes("button")
        #expect(refusal(Array(bytes.prefix(bytes.count / 2)))?.contains("not a WebAssembly module") == true)
    }

    @Test func oneCrashDoesNotDisturbAnotherInstance() throws {
        let board = runtimeBoard()
        let bad = try instantiate(try watModule(overrides: ["mf_tick": "(func (export \"mf_tick\") (result i32) unreachable)"]), board: board)
        let good = try instantiate(try watModule(), service: "good", board: board)
        #expect(throws: ServiceCrash.self) { try bad.tick() }
        #expect(throws: Never.self) { try good.tick() }
        #expect(good.crash == nil)
    }
}
