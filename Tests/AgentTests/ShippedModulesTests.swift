import Foundation
import Manifests
import ModuleRuntime
import Testing

/// The firmware image ships built modules in rootfs-overlay; they must be loadable and
/// carry the manifest of their sources (rebuild with `midflight module build` after a change).
@Suite struct ShippedModulesTests {
    @Test(arguments: ["rtc", "button", "pulse-counter", "threshold"])
    func shippedModulesMatchTheirSources(name: String) throws {
        let repository = ConsoleSession.repository.path
        let source = try ModuleManifest.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(repository)/Sources/Modules/\(name)/manifest.json"))), file: name)
        let path = "\(repository)/rootfs-overlay/usr/share/midflight/modules/\(name)-\(source.version).wasm"
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let artifact = try ModuleArtifact(bytes: bytes, source: path, engine: ModuleEngine())
        #expect(artifact.manifest == source)
    }
}
