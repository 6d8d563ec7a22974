import ArgumentParser
import Boards
import Foundation
import Platform

/// `midflight module new|build`.
public struct ModuleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Create and build device modules (Embedded Swift → WebAssembly).",
        subcommands: [New.self, Build.self, SignCommand.self])

    public init() {}

    public struct New: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Scaffold a module: manifest, source, and a package with a native test.")
        @Argument(help: "Module name: lower-case letters, digits and '-'.") var name: String
        @Option(name: .long, help: "Where to create the module's folder.") var directory: String = "."

        public init() {}

        public func run() throws {
            let builder: ModuleBuilder
            do {
                builder = try ModuleBuilder.standard()
            } catch {
                FileHandle.standardError.write(Data("midflight: \(error)\n".utf8))
                throw ExitCode(1)
            }
            // The SDK folder is Sources/ModuleSDK of the Midflight package the scaffold depends on.
            let package = FileSystem.parent(FileSystem.parent(builder.sdkDirectory))
            do {
                let root = try ModuleScaffold.create(name: name, in: directory, midflightPackage: package)
                print("created \(root)")
                print("  build the wasm:      midflight module build \(root)")
                print("  run its native test: (cd \(root) && swift test)")
            } catch {
                FileHandle.standardError.write(Data("midflight: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    public struct Build: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Compile a module folder to .wasm, embed its manifest, check it against the ABI.")
        @Argument(help: "The module's folder (with manifest.json).") var directory: String
        @Option(name: [.customShort("o"), .long], help: "Output file (default: DIR/.build/NAME-VERSION.wasm).") var output: String?

        public init() {}

        public func run() throws {
            do {
                let product = try ModuleBuilder.standard().build(directory, output: output)
                print("\(product.manifest.name) \(product.manifest.version): \(product.path) (\(product.byteCount) bytes)")
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
