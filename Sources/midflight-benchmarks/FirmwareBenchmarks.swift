#if canImport(Glibc)
import Glibc
#endif
import Boards
import Bundles
import Crypto
import Firmware
import Manifests
import Platform

/// Firmware install figures: throughput as a ratio to a raw sequential write of the same
/// kind of target (a file on the same file system, 1 MiB writes, one fsync), and the
/// installing process's peak RSS for a small image and one ten times larger, which must
/// not grow with the image.
enum FirmwareBenchmarks {
    static let mebibyte = 1 << 20

    static func run(scratch: String) throws {
        let board = scratch + "/board"
        mkdir(board, 0o755)
        let boardJSON = """
            { "name": "bench", "backend": "simulated",
              "firmware": { "slots": { "a": "slot-a.img", "b": "slot-b.img" }, "slotSize": \(128 * mebibyte) } }
            """
        try FileSystem.writeAtomically(Array(boardJSON.utf8), to: board + "/board.json")
        let key = Curve25519.Signing.PrivateKey()
        let trusted = scratch + "/trusted"
        mkdir(trusted, 0o755)
        try FileSystem.writeAtomically(Array(SigningKeys.publicText(key.publicKey, comment: "bench").utf8), to: trusted + "/bench.pub")
        let daemon = (FileSystem.executablePath().map(FileSystem.parent) ?? ".") + "/midflightd"

        print("firmware install (\(daemon)):")
        for megabytes in [8, 80] {
            let size = megabytes * mebibyte
            let image = scratch + "/image-\(megabytes).img"
            try writeImage(image, size: size)
            let bundle = scratch + "/image-\(megabytes).fw"
            try FirmwareBundle.create(
                imagePath: image, outputPath: bundle, compatible: ["bench"], version: SemanticVersion(1, 1, 0), securityVersion: 0,
                minimumAgentVersion: SemanticVersion(0, 2, 0), key: key)

            let raw = try rawWrite(scratch + "/raw-\(megabytes).img", size: size)
            var installs: [(seconds: Double, rss: Int)] = []
            for run in 0..<3 {
                let data = scratch + "/data-\(megabytes)-\(run)"
                installs.append(try install(daemon, board: board, data: data, trusted: trusted, bundle: bundle))
            }
            let best = installs.min { $0.seconds < $1.seconds }!
            let rawRate = Double(size) / raw / Double(mebibyte)
            let installRate = Double(size) / best.seconds / Double(mebibyte)
            let peak = installs.map(\.rss).max()!
            print("  \(megabytes) MiB image: install \(format(installRate)) MiB/s (best of 3, whole process: verify, write, sync, read back, commit)"
                + " vs anchor raw write \(format(rawRate)) MiB/s = \(format(installRate / rawRate)); peak RSS \(peak / 1024) MiB")
        }
        print("  (the read-back verification reads the slot again, so 0.5 is the ceiling a verifying installer can reach on a cold cache)")
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return String(scaled)
    }

    static func writeImage(_ path: String, size: Int) throws {
        close(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644))
        let file = try BlockFile(path: path, writable: true)
        var block = [UInt8](repeating: 0, count: mebibyte)
        var state: UInt64 = 0x1234_5678
        for offset in stride(from: 0, to: size, by: mebibyte) {
            for index in block.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                block[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
            try file.write(block[...], at: offset)
        }
        try file.sync()
    }

    /// The anchor: `size` bytes written sequentially in 1 MiB blocks into a file of the slot's
    /// size, then fsync, in seconds.
    static func rawWrite(_ path: String, size: Int) throws -> Double {
        close(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644))
        truncate(path, off_t(128 * mebibyte))
        let file = try BlockFile(path: path, writable: true)
        let block = [UInt8](repeating: 0xA5, count: mebibyte)
        let start = Benchmarks.now()
        for offset in stride(from: 0, to: size, by: mebibyte) { try file.write(block[...], at: offset) }
        try file.sync()
        return Double(Benchmarks.now() - start) / 1e9
    }

    /// Runs `midflightd install` on a fresh simulated board; its wall time and peak RSS (KiB).
    static func install(_ daemon: String, board: String, data: String, trusted: String, bundle: String) throws -> (seconds: Double, rss: Int) {
        // The board's first state (slots, environment) is made before the clock starts.
        _ = try spawn([daemon, "install", "--simulate", "--board", board, "--data-dir", data, "--trusted-keys", trusted, "/dev/null"])
        let start = Benchmarks.now()
        let (status, rss) = try spawn([daemon, "install", "--simulate", "--board", board, "--data-dir", data, "--trusted-keys", trusted, bundle])
        let seconds = Double(Benchmarks.now() - start) / 1e9
        guard status == 0 else { throw FirmwareRefusal(.storage, "midflightd install failed (status \(status))") }
        return (seconds, rss)
    }

    /// Runs a program to its end: exit status and its peak RSS in KiB, as the last VmHWM
    /// read from /proc while it ran (polled every 2 ms). Not wait4's ru_maxrss: posix_spawn
    /// shares this process's memory until the exec, and the kernel carries that high-water
    /// mark over to the child, so the figure would be this (larger) process's.
    static func spawn(_ arguments: [String]) throws -> (Int32, Int) {
        var pid: pid_t = 0
        var argv = arguments.map { strdup($0) } + [nil]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else {
            throw FirmwareRefusal(.storage, "cannot run \(arguments[0])")
        }
        var status: Int32 = 0
        var peak = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            // Zero once the process has exited and is a zombie (its memory is gone).
            peak = max(peak, AgentBenchmarks.status(of: "\(pid)", field: "VmHWM:"))
            usleep(2_000)
        }
        return ((status >> 8) & 0xFF, peak)
    }
}
