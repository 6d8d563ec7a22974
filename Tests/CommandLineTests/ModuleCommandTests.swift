import Foundation
import Testing

@Suite(.serialized) struct ModuleCommandTests {
    let scratch: String = {
        let path = NSTemporaryDirectory() + "midflight-module-cli-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test func newThenBuildMakesAModuleThatPassesTheABICheck() throws {
        let created = try Executables.run("midflight", ["module", "new", "door-bell", "--directory", scratch])
        #expect(created.status == 0, "\(created.error)")
        for file in ["manifest.json", "DoorBell.swift", "Package.swift", "Tests/DoorBellTests/DoorBellTests.swift"] {
            #expect(FileManager.default.fileExists(atPath: "\(scratch)/door-bell/\(file)"), "\(file)")
        }
        let built = try Executables.run("midflight", ["module", "build", "\(scratch)/door-bell"])
        #expect(built.status == 0, "\(built.error)")
        #expect(built.output.hasPrefix("door-bell 0.1.0: \(scratch)/door-bell/.build/door-bell-0.1.0.wasm ("))
        let again = try Executables.run("midflight", ["module", "new", "door-bell", "--directory", scratch])
        #expect(again.status == 2)
        #expect(again.error.contains("already exists; nothing was written"))
    }

    @Test(arguments: ["Door", "door_bell", "1door", "door-", "a--b", ""])
    func newRefusesBadNames(name: String) throws {
        let result = try Executables.run("midflight", ["module", "new", name, "--directory", scratch])
        #expect(result.status == 2)
        #expect(result.error.contains("is not a module name"))
    }

    @Test func buildShowsTheCompilersErrorsAsTheyAre() throws {
        _ = try Executables.run("midflight", ["module", "new", "broken", "--directory", scratch])
        try "typealias ServiceModule = Nope\n".write(toFile: "\(scratch)/broken/Broken.swift", atomically: true, encoding: .utf8)
        let result = try Executables.run("midflight", ["module", "build", "\(scratch)/broken"])
        #expect(result.status == 1)
        #expect(result.error.contains("error: cannot find type 'Nope' in scope"))
    }

    @Test func buildRefusesABadManifestNamingTheField() throws {
        _ = try Executables.run("midflight", ["module", "new", "bad-manifest", "--directory", scratch])
        try #"{"name": "bad-manifest", "version": "one", "abi": 1}"#.write(
            toFile: "\(scratch)/bad-manifest/manifest.json", atomically: true, encoding: .utf8)
        let result = try Executables.run("midflight", ["module", "build", "\(scratch)/bad-manifest"])
        #expect(result.status == 1)
        #expect(result.error.contains("bad-manifest/manifest.json: version: expected MAJOR.MINOR.PATCH"))
        let missing = try Executables.run("midflight", ["module", "build", "\(scratch)/nothing-here"])
        #expect(missing.status == 1)
        #expect(missing.error.contains("nothing-here/manifest.json: No such file or directory"))
    }

    @Test func theRepositoryModulesBuild() throws {
        let result = try Executables.run(
            "midflight", ["module", "build", "Sources/Modules/pulse-counter", "-o", "\(scratch)/pulse-counter.wasm"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("pulse-counter 1.0.0"))
    }
}
