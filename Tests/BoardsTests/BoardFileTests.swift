import Boards
import Hardware
import Platform
import SimulatedHardware
import Testing

/// The repository's `board/` folder, found from this file.
let repositoryBoards: String = {
    var path = #filePath
    for _ in 0..<3 { path = FileSystem.parent(path) }
    return path + "/board"
}()

@Suite struct BoardFileTests {
    let locator = BoardLocator(searchPath: [repositoryBoards])

    @Test func theSimulatedBoardHasItsRTCButtonPulseSensorAndLED() throws {
        let board = try locator.load("sim")
        #expect(board.name == "sim")
        guard case .simulated(let spec) = board.backend else {
            Issue.record("sim is not simulated")
            return
        }
        #expect(spec.buses.map(\.number) == [1])
        #expect(spec.buses[0].devices.first { $0.address == 0x68 }?.model.name == "ds3231")
        #expect(board.lineNames["gpiochip0"]?[17] == "button")
        #expect(board.lineNames["gpiochip0"]?[27] == "pulse")
        #expect(board.lineNames["gpiochip0"]?[22] == "led")
        #expect(spec.chips[0].lines.first { $0.name == "led-sense" }?.wiredFrom == 22)
        let backend = board.makeBackend(clock: ManualClock())
        #expect(backend.kind == "simulated")
        #expect(try backend.i2cBus(1).probe(I2CAddress(0x68, bus: 1)))
    }

    @Test(arguments: ["raspberrypi4", "qemu-x86_64"])
    func realBoardsUseTheLinuxBackend(name: String) throws {
        let board = try locator.load(name)
        guard case .linux(let buses, let chips) = board.backend else {
            Issue.record("\(name) is not a Linux board")
            return
        }
        #expect(!buses.isEmpty && !chips.isEmpty)
        #expect(board.makeBackend().kind == "linux")
    }

    @Test func theRaspberryPiBoardPointsAtItsBootEnvironmentConfig() throws {
        let board = try locator.load("raspberrypi4")
        #expect(board.bootEnvironmentConfig?.hasSuffix("raspberrypi4/fw_env.config") == true)
    }

    @Test func loadsByFolderPathAndByFilePath() throws {
        #expect(try locator.load(repositoryBoards + "/sim").name == "sim")
        #expect(try locator.load(repositoryBoards + "/sim/board.json").name == "sim")
    }

    @Test func anUnknownBoardListsTheKnownOnes() {
        #expect {
            _ = try locator.load("beaglebone")
        } throws: { error in
            "\(error)" == "unknown board 'beaglebone' (known boards: qemu-x86_64, raspberrypi4, sim)"
        }
        #expect(throws: BoardLocator.Failure.self) { try locator.load("../etc") }
        #expect(throws: BoardLocator.Failure.self) { try locator.load("/nonexistent/board.json") }
        #expect(throws: BoardLocator.Failure.self) { try locator.load(repositoryBoards) }
    }
}
