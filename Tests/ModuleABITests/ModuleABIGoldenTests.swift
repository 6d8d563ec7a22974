import Foundation
import ModuleABI
import ModuleSDK
import Testing

/// The ABI is a contract with every module ever built: any change must be deliberate.
/// If this fails, bump `ModuleABI.version`, update docs/module-abi.md, then this golden text.
@Suite struct ModuleABIGoldenTests {
    static let golden = """
        version 2
        import module midflight
        manifest section midflight.manifest
        export mf_abi_version() -> (i32)
        export mf_alloc(i32) -> (i32)
        export mf_init() -> (i32)
        export mf_tick() -> (i32)
        export mf_edge(i32, i32, i64) -> (i32)
        export mf_param(i32, f64) -> (i32)
        export mf_reading(i32, f64) -> (i32)
        export mf_call(i32, i32) -> (i32)
        export mf_snapshot() -> (i32)
        export mf_code_change(i32, i32, i32) -> (i32)
        export mf_terminate() -> (i32)
        import i2c_read(i32, i32, i32, i32) -> (i32)
        import i2c_write(i32, i32, i32, i32) -> (i32)
        import gpio_read(i32) -> (i32)
        import gpio_write(i32, i32) -> (i32)
        import timer_every(i32) -> (i32)
        import clock_monotonic_ns() -> (i64)
        import clock_wall_ns() -> (i64)
        import clock_wall_synchronized() -> (i32)
        import clock_set_wall_ns(i64) -> (i32)
        import log(i32, i32, i32) -> ()
        import publish(i32, i32, f64) -> (i32)
        import param_get(i32) -> (f64)
        import state_put(i32, i32) -> (i32)
        import reply(i32, i32) -> (i32)
        import health_report(i32, i32, i32) -> (i32) since 2
        status ok = 0
        status notGranted = -1
        status badPointer = -2
        status nack = -3
        status timeout = -4
        status busy = -5
        status noDevice = -6
        status invalidArgument = -7
        status io = -8
        status unsupported = -9
        status permission = -10
        status failed = -11
        status incompatibleState = -12
        health healthy = 0
        health degraded = 1
        health failing = 2
        """

    @Test func theABIIsExactlyTheGoldenOne() {
        #expect(ModuleABI.canonicalDescription == ModuleABIGoldenTests.golden)
    }

    @Test func theDocumentationDescribesThisVersionAndEveryName() throws {
        let doc = try readDocument("docs/module-abi.md")
        #expect(doc.contains("ABI version \(ModuleABI.version)"))
        for function in ModuleABI.Export.all + ModuleABI.Import.all {
            #expect(doc.contains("`\(function)`"), "docs/module-abi.md does not list \(function)")
        }
        for status in ModuleABI.Status.allCases {
            #expect(doc.contains("| \(status.rawValue) | `\(status)` |"), "docs/module-abi.md does not list status \(status)")
        }
        for health in ModuleABI.Health.allCases {
            #expect(doc.contains("| \(health.rawValue) | `\(health)` |"), "docs/module-abi.md does not list health \(health)")
        }
    }

    @Test func theSDKsHealthValuesAreTheABIs() {
        for health in ModuleABI.Health.allCases {
            #expect(ModuleSDK.Health(rawValue: health.rawValue).map { "\($0)" } == "\(health)")
        }
        #expect(ModuleABI.Import.introduced(ModuleABI.Import.reportHealth) == 2)
        #expect(ModuleABI.Import.introduced(ModuleABI.Import.log) == 1)
    }

    @Test func theSDKsStatusCodesAreTheABIs() {
        for status in ModuleABI.Status.allCases {
            #expect(HostStatus(rawValue: status.rawValue).map { "\($0)" } == "\(status)")
        }
        #expect(HostStatus(code: -99) == .failed)
    }

    @Test func versionsPackIntoTenBitParts() {
        #expect(ModuleABI.packVersion(major: 1, minor: 2, patch: 3) == (1 << 20 | 2 << 10 | 3))
        let version = ModuleVersion(packed: ModuleABI.packVersion(major: 2, minor: 10, patch: 1023))
        #expect(version == ModuleVersion(major: 2, minor: 10, patch: 1023))
    }
}

func readDocument(_ relative: String) throws -> String {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return try String(contentsOfFile: path + "/" + relative, encoding: .utf8)
}
