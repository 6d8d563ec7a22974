import Firmware
import Foundation
import Testing

/// The boot environment through libubootenv, checked against Debian's fw_printenv.
@Suite struct BootEnvironmentTests {
    @Test func aNewEnvironmentIsReadByFwPrintenv() throws {
        let fixture = try FirmwareFixture()
        let variables = try fixture.variables()
        #expect(variables == BootVariables.factory(version: "1.0.0"))
        #expect(try fixture.printenv() == variables)
    }

    @Test func storesAreOneWriteAndAgreeWithFwPrintenv() throws {
        let fixture = try FirmwareFixture()
        try fixture.layout.environment.store([("boot_slot", "b"), ("bootcount", "3"), ("slot_b_security", nil), ("note", "a b=c")])
        let variables = try fixture.variables()
        #expect(variables["boot_slot"] == "b")
        #expect(variables["bootcount"] == "3")
        #expect(variables["note"] == "a b=c")
        #expect(try fixture.printenv() == variables)
        try fixture.layout.environment.store([("note", nil)])
        #expect(try fixture.variables()["note"] == nil)
        #expect(try fixture.printenv() == (try fixture.variables()))
    }

    @Test func invalidNamesAreRefusedAndNothingIsStored() throws {
        let fixture = try FirmwareFixture()
        let before = try fixture.variables()
        #expect(throws: BootEnvironmentError.self) { try fixture.layout.environment.store([("ok", "1"), ("bad=name", "1")]) }
        #expect(throws: BootEnvironmentError.self) { try fixture.layout.environment.store([("with space", "1")]) }
        #expect(try fixture.variables() == before)
    }

    @Test func anEnvironmentWithNoValidCopyIsAnErrorNotADefault() throws {
        let fixture = try FirmwareFixture()
        let files = ["uboot.env", "uboot-redund.env"].map { fixture.folder + "/" + $0 }
        for file in files { try Data(repeating: 0xFF, count: 0x4000).write(to: URL(fileURLWithPath: file)) }
        #expect(throws: BootEnvironmentError.self) { try fixture.variables() }
        #expect(throws: BootEnvironmentError.self) { try fixture.layout.environment.store([("boot_slot", "b")]) }
        for file in files { #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(repeating: 0xFF, count: 0x4000), "nothing persisted") }
        #expect(throws: BootEnvironmentError.self) { try UBootEnvironment(configPath: fixture.folder + "/missing.config").variables() }
    }

    /// Redundancy holds for damage: one copy deleted, emptied, cut short or overwritten is
    /// mended from the other, which stays current, and the next store works.
    @Test(arguments: ["deleted", "emptied", "truncated", "garbage"], [0, 1])
    func oneDamagedCopyIsMendedFromTheOther(damage: String, copy: Int) throws {
        let fixture = try FirmwareFixture()
        // Two stores: each copy has been written once, the newer one holds boot_slot=b.
        try fixture.layout.environment.store([("slot_b_version", "1.1.0")])
        try fixture.layout.environment.store([("boot_slot", "b")])
        let before = try fixture.variables()
        let file = fixture.folder + "/" + ["uboot.env", "uboot-redund.env"][copy]
        switch damage {
        case "deleted": try FileManager.default.removeItem(atPath: file)
        case "emptied": try Data().write(to: URL(fileURLWithPath: file))
        case "truncated": try Data(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(100)).write(to: URL(fileURLWithPath: file))
        default: try Data((0..<0x4000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: file))
        }
        let notes = try fixture.layout.environment.repair()
        #expect(notes.count == 1 && notes[0].contains(file), "\(notes)")
        let after = try fixture.variables()
        // The survivor is what is read: the newer state when it survived, else the older one.
        #expect(after == before || after["slot_b_version"] == "1.1.0")
        #expect(try fixture.printenv() == after)
        #expect(try fixture.layout.environment.repair().isEmpty, "mended once")
        // The mended copy is the older one: the next store goes there, the survivor stays.
        let survivor = fixture.folder + "/" + ["uboot.env", "uboot-redund.env"][1 - copy]
        let survivorBytes = try Data(contentsOf: URL(fileURLWithPath: survivor))
        try fixture.layout.environment.store([("bootcount", "0")])
        #expect(try Data(contentsOf: URL(fileURLWithPath: survivor)) == survivorBytes)
        #expect(try fixture.variables()["bootcount"] == "0")
        #expect(try fixture.printenv() == (try fixture.variables()))
    }

    /// A power cut part-way through a store leaves the copy being written torn: a prefix of
    /// the new bytes over the old. At every cut the reader must see the old or the new
    /// environment, whole, and fw_printenv the same.
    @Test func aTornStoreLeavesTheOldOrTheNewEnvironment() throws {
        let fixture = try FirmwareFixture()
        let files = ["uboot.env", "uboot-redund.env"].map { fixture.folder + "/" + $0 }
        let old = try fixture.variables()
        let beforeCopies = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        try fixture.layout.environment.store([("boot_slot", "b"), ("upgrade_available", "1"), ("slot_b_state", "trial")])
        let new = try fixture.variables()
        let afterCopies = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let written = try #require((0..<2).first { beforeCopies[$0] != afterCopies[$0] })
        #expect(beforeCopies[1 - written] == afterCopies[1 - written], "one copy is written per store")
        var generator = SystemRandomNumberGenerator()
        let cuts = [0, 1, 4, 5, 6, 100, 0x3FFF, 0x4000] + (0..<24).map { _ in Int.random(in: 0..<0x4000, using: &generator) }
        for cut in cuts {
            let torn = afterCopies[written].prefix(cut) + beforeCopies[written].dropFirst(cut)
            try Data(torn).write(to: URL(fileURLWithPath: files[written]))
            let seen = try fixture.variables()
            // Past the last differing byte a torn copy is the whole new one.
            #expect(seen == (Data(torn) == afterCopies[written] ? new : old), "cut at \(cut)")
            #expect(try fixture.printenv() == seen, "fw_printenv at cut \(cut)")
        }
    }

    @Test func imagesMatchU_BootsFormat() throws {
        let image = try EnvironmentImage.make(["a": "1", "bootcmd": "run x"], size: 64, redundant: true, flags: 7)
        #expect(image.count == 64)
        #expect(image[4] == 7)
        #expect(Array(image[5..<24]) == Array("a=1\0bootcmd=run x\0".utf8) + [0])
        // CRC-32 of the data area, little-endian, as U-Boot's env_import checks it.
        #expect(Array(image[0..<4]) != [0, 0, 0, 0])
        #expect(throws: BootEnvironmentError.self) { try EnvironmentImage.make(["x": String(repeating: "y", count: 100)], size: 64, redundant: false) }
    }
}
