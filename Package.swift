// swift-tools-version:6.2
import PackageDescription

// Layers, one direction: Hardware (protocols, values, errors; no I/O) is the core;
// LinuxHardware (libi2c, libgpiod) and SimulatedHardware (device models) are siblings
// that depend only on it. Boards wires a board folder to one of them.
let package = Package(
    name: "midflight",
    products: [
        .executable(name: "midflightd", targets: ["midflightd"]),
        .executable(name: "midflight", targets: ["midflight"]),
        .library(name: "Hardware", targets: ["Hardware"]),
        // What a module's own package needs for native tests (see `midflight module new`).
        .library(name: "ModuleSDK", targets: ["ModuleSDK"]),
        .library(name: "ModuleTesting", targets: ["ModuleTesting", "ModuleHost", "SimulatedHardware"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // Pre-1.0 with a history of renames: pinned exactly, and used only in ModuleRuntime.
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssh", exact: "0.15.1"),
    ],
    targets: [
        .target(name: "JSON"),
        .target(name: "Hardware"),
        .systemLibrary(
            name: "CI2C",
            providers: [.apt(["libi2c-dev"])]
        ),
        .systemLibrary(
            name: "CGPIOD",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(
            name: "CUBootEnv",
            pkgConfig: "libubootenv",
            providers: [.apt(["libubootenv-dev"])]
        ),
        .target(name: "LinuxHardware", dependencies: ["Hardware", "CI2C", "CGPIOD", "CLinux"]),
        // The floor: files, threads, locks and background workers on POSIX calls (no Foundation).
        .target(name: "Platform"),
        .target(name: "SimulatedHardware", dependencies: ["Hardware", "Platform"]),
        .target(name: "Boards", dependencies: ["Hardware", "JSON", "LinuxHardware", "Platform", "SimulatedHardware"]),
        .target(name: "HardwareContract", dependencies: ["Hardware"]),
        .target(name: "ModuleABI"),
        .target(name: "Supervision"),
        .target(
            name: "Bundles",
            dependencies: ["Manifests", "ModuleABI", "Platform", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "Manifests", dependencies: ["Hardware", "JSON", "ModuleABI"]),
        .target(
            name: "Firmware",
            dependencies: ["Bundles", "CUBootEnv", "JSON", "Manifests", "Platform", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "ModuleHost", dependencies: ["Hardware", "Manifests", "ModuleABI"]),
        // The module SDK, natively; WasmGlue is compiled only into wasm builds.
        .target(name: "ModuleSDK", exclude: ["WasmGlue"]),
        .target(name: "ModuleTesting", dependencies: ["ModuleSDK", "ModuleABI", "ModuleHost", "Manifests", "Hardware", "Boards", "Platform"]),
        .target(
            name: "ModuleRuntime",
            dependencies: ["ModuleABI", "Manifests", "ModuleHost", "Platform", .product(name: "WasmKit", package: "WasmKit")]
        ),
        .target(name: "HardwareTools", dependencies: ["Hardware", "JSON"]),
        .target(
            name: "HardwareCommands",
            dependencies: [
                "Hardware", "Boards", "HardwareTools", "SimulatedHardware", "LinuxHardware", "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "Agent",
            dependencies: [
                "Boards", "Bundles", "Firmware", "Hardware", "JSON", "Manifests", "ModuleABI", "ModuleHost", "ModuleRuntime",
                "Supervision", "Platform",
            ]
        ),
        // Updates over the agent: signed module pushes (verify, swap, probation verdict) and
        // the A/B firmware side (trial, health gate, validate, revert).
        .target(name: "Updates", dependencies: ["Agent", "Bundles", "Firmware", "Manifests", "Platform"]),
        .target(
            name: "AgentCommands",
            dependencies: [
                "Agent", "Boards", "Firmware", "HardwareCommands", "JSON", "Platform", "Updates",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "RemoteAccess",
            dependencies: [
                "Agent", "AgentCommands", "Boards", "Bundles", "Firmware", "HardwareCommands", "Platform", "Updates",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSH", package: "swift-nio-ssh"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModuleTools",
            dependencies: [
                "Boards", "Bundles", "Firmware", "Manifests", "ModuleABI", "ModuleRuntime", "Platform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The device modules: native targets for their unit tests; `midflight module build`
        // compiles the same sources to wasm.
        .target(name: "RTCModule", dependencies: ["ModuleSDK"], path: "Sources/Modules/rtc", exclude: ["manifest.json"]),
        .target(name: "ButtonModule", dependencies: ["ModuleSDK"], path: "Sources/Modules/button", exclude: ["manifest.json"]),
        .target(
            name: "PulseCounterModule", dependencies: ["ModuleSDK"], path: "Sources/Modules/pulse-counter",
            exclude: ["manifest.json"]),
        .target(
            name: "ThresholdModule", dependencies: ["ModuleSDK"], path: "Sources/Modules/threshold", exclude: ["manifest.json"]),
        .executableTarget(
            name: "midflight",
            dependencies: [
                "HardwareCommands", "ModuleTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The local control socket: frames and clients (Foundation-free, for every front-end), and the core's server.
        .target(name: "ControlProtocol"),
        .target(
            name: "ControlServer",
            dependencies: ["Agent", "AgentCommands", "Bundles", "ControlProtocol", "Firmware", "HardwareCommands", "Platform", "Updates"]
        ),
        .executableTarget(name: "midflight-shell", dependencies: ["ControlProtocol"]),
        .executableTarget(
            name: "midflightd",
            dependencies: [
                "Hardware", "Boards", "HardwareCommands", "SimulatedHardware", "LinuxHardware", "Agent",
                "AgentCommands", "Platform", "Bundles", "CLinux", "ControlServer", "Firmware", "RemoteAccess", "HardwareContract", "ModuleHost",
                "Updates", "ModuleRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Figures, not tests: `swift run -c release midflight-benchmarks`.
        .executableTarget(
            name: "midflight-benchmarks",
            dependencies: [
                "Hardware", "ModuleHost", "ModuleRuntime", "ModuleTools", "SimulatedHardware", "Boards", "Bundles", "Firmware", "Agent",
                "Platform", "Updates", .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Module sources the benchmark builds to wasm, and the Erlang/OTP side it runs beside ours.
            exclude: ["SwapModules", "OTP"]
        ),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HardwareTests", dependencies: ["Hardware"]),
        .testTarget(name: "LinuxHardwareTests", dependencies: ["LinuxHardware", "Hardware"]),
        .testTarget(name: "SimulatedHardwareTests", dependencies: ["SimulatedHardware", "Hardware"]),
        .testTarget(name: "BoardsTests", dependencies: ["Boards", "Hardware", "Platform", "SimulatedHardware"]),
        .testTarget(
            name: "HardwareContractTests",
            dependencies: ["HardwareContract", "Hardware", "SimulatedHardware", "LinuxHardware"]
        ),
        .testTarget(name: "HardwareToolsTests", dependencies: ["HardwareTools", "Hardware", "SimulatedHardware"]),
        .testTarget(
            name: "HardwareCommandsTests",
            dependencies: ["HardwareCommands", "Hardware", "SimulatedHardware"]
        ),
        .testTarget(name: "SupervisionTests", dependencies: ["Supervision"]),
        .testTarget(
            name: "BundlesTests",
            dependencies: ["Bundles", "Manifests", "ModuleABI", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "FirmwareTests",
            dependencies: ["Firmware", "Bundles", "Boards", "Manifests", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "ModuleABITests", dependencies: ["ModuleABI", "ModuleSDK"]),
        .testTarget(name: "ModuleSDKTests", dependencies: ["ModuleSDK"]),
        .testTarget(name: "ModuleHostTests", dependencies: ["ModuleHost", "Hardware"]),
        .testTarget(
            name: "DeviceModulesTests",
            dependencies: [
                "RTCModule", "ButtonModule", "PulseCounterModule", "ThresholdModule", "ModuleTesting", "ModuleHost",
                "SimulatedHardware", "Hardware",
            ]
        ),
        .testTarget(
            name: "ModuleRuntimeTests",
            dependencies: [
                "ModuleRuntime", "ModuleTools", "ModuleHost", "Manifests", "ModuleABI", "SimulatedHardware", "Hardware",
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "JSON"]),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "Supervision", "ModuleTools", "ModuleRuntime", "Manifests", "ModuleABI", "Bundles", "Firmware",
                "Hardware", "SimulatedHardware", "Boards", "Updates",
                // Not imported: built for the end-to-end tests, which run them.
                "midflightd",
                "midflight",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "UpdatesTests",
            dependencies: ["Updates", "Agent", "Bundles", "Firmware", "Manifests", "SimulatedHardware", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "ControlTests",
            dependencies: ["ControlProtocol", "ControlServer", "Agent", "Bundles", "SimulatedHardware", "Updates", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "RemoteAccessTests",
            dependencies: [
                "RemoteAccess", "Agent", "Bundles", "Platform", "SimulatedHardware", "Updates", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOSSH", package: "swift-nio-ssh"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The executables, built for the tests to run them.
        .testTarget(name: "CommandLineTests", dependencies: ["midflight", "midflightd"]),
        // Seeded mutation loops over every parser of untrusted bytes; the corpus is committed.
        .testTarget(
            name: "FuzzTests",
            dependencies: [
                "Boards", "Bundles", "Firmware", "JSON", "Manifests", "ModuleABI", "ModuleRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Corpus"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Warnings are errors in our own code (dependencies are not affected).
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.treatAllWarnings(as: .error)]
}
