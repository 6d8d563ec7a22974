import Foundation

/// The files of a new module: manifest, source, and a package with a native test.
public enum ModuleScaffold {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `blink-led` → `BlinkLed`.
    public static func typeName(_ name: String) -> String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Writes `directory/NAME/…`; refuses a bad name or an existing folder (nothing is overwritten).
    public static func create(name: String, in directory: String, midflightPackage: String) throws(Failure) -> String {
        guard (1...32).contains(name.count), let first = name.first, first.isASCII, first.isLowercase,
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }), !name.hasSuffix("-"),
            !name.contains("--")
        else {
            throw Failure(description: "'\(name)' is not a module name: use lower-case letters, digits and single '-', starting with a letter")
        }
        let root = directory + "/" + name
        guard !FileManager.default.fileExists(atPath: root) else {
            throw Failure(description: "\(root) already exists; nothing was written")
        }
        let type = typeName(name)
        let files: [(String, String)] = [
            ("manifest.json", manifest(name)),
            ("\(type).swift", source(type)),
            ("Package.swift", package(type, midflightPackage: midflightPackage)),
            ("Tests/\(type)Tests/\(type)Tests.swift", test(name, type)),
            (".gitignore", ".build/\nPackage.resolved\n"),
        ]
        do {
            for (path, text) in files {
                let full = root + "/" + path
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: full, atomically: true, encoding: .utf8)
            }
        } catch {
            throw Failure(description: "cannot write \(root): \(error.localizedDescription)")
        }
        return root
    }

    static func manifest(_ name: String) -> String {
        """
        {
          "name": "\(name)",
          "version": "0.1.0",
          "abi": 2,
          "description": "Counts presses of a button and blinks nothing yet: a starting point.",
          "capabilities": {
            "gpio": [ { "role": "input", "direction": "input", "edges": "falling", "bias": "pull-up" } ]
          },
          "parameters": [
            { "name": "report_every", "type": "int", "default": 1, "min": 1, "max": 1000, "description": "Publish the count every N presses." }
          ]
        }

        """
    }

    static func source(_ type: String) -> String {
        """
        #if canImport(ModuleSDK)
        import ModuleSDK
        #endif

        typealias ServiceModule = \(type)

        /// Counts falling edges on its input and publishes the count.
        struct \(type): DeviceModule {
            var count = 0

            init() {}

            init?(upgradingFrom version: ModuleVersion, state: inout StateReader) {
                guard let count = state.readInt() else { return nil }
                self.count = count
            }

            func snapshot(into state: inout StateWriter) {
                state.write(count)
            }

            mutating func edge(line: Int, rising: Bool, timestampNanoseconds: Int64) {
                count += 1
                if count % Int(Host.parameter(0)) == 0 {
                    Host.publish("count", Double(count))
                }
            }
        }

        """
    }

    static func package(_ type: String, midflightPackage: String) -> String {
        // SwiftPM names a path dependency after its folder.
        let identity = (midflightPackage as NSString).lastPathComponent.lowercased()
        return """
        // swift-tools-version:6.2
        // Native build and tests of the module; `midflight module build .` makes the wasm.
        import PackageDescription

        let package = Package(
            name: "\(type)",
            dependencies: [.package(path: "\(midflightPackage)")],
            targets: [
                .target(
                    name: "\(type)", dependencies: [.product(name: "ModuleSDK", package: "\(identity)")], path: ".",
                    exclude: ["manifest.json", "Tests", "Package.swift"], sources: ["\(type).swift"]),
                .testTarget(
                    name: "\(type)Tests",
                    dependencies: ["\(type)", .product(name: "ModuleTesting", package: "\(identity)")]),
            ]
        )

        """
    }

    static func test(_ name: String, _ type: String) -> String {
        """
        import Foundation
        import ModuleHost
        import ModuleTesting
        import SimulatedHardware
        import Testing
        @testable import \(type)

        @Test func countsFallingEdges() throws {
            let board = SimulatedBoard(
                SimulatedBoardSpec(
                    name: "test", buses: [],
                    chips: [.init(name: "gpiochip0", label: "test", lineCount: 4, lines: [.init(offset: 0, name: "in", drive: .level(true))])]),
                clock: ManualClock())
            let harness = try ModuleHarness<\(type)>(
                manifestPath: #filePath.replacingOccurrences(of: "Tests/\(type)Tests/\(type)Tests.swift", with: "manifest.json"),
                serviceName: "\(name)", grants: ServiceGrants(gpio: [try ServiceGrants.parseGPIO("gpiochip0:in")]),
                backend: board, time: SimulatedSystemTime(clock: board.clock))
            harness.start()
            try board.drive(chip: "gpiochip0", line: .name("in"), to: false)
            try harness.deliverEdges()
            #expect(harness.readings["count"] == 1)
        }

        """
    }
}
