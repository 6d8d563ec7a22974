#if canImport(Glibc)
import Glibc
#endif
import Boards
import Platform

/// Runs the Erlang/OTP equivalents (`OTP/midflight_otp_bench.erl`: gen_servers swapped
/// with sys:suspend / code:load_binary / sys:change_code / sys:resume, a one_for_one
/// supervisor, gen_server:call, bare and loaded VMs) right after ours, on the same
/// machine, and prints both with ratios and the goals.
enum OTPComparison {
    /// One row: our key and the BEAM's, which statistic, and the goal for ours.
    struct Row {
        let label: String
        let ours: String
        let otp: String
        let statistic: Statistic
        let goal: UInt64?
    }

    enum Statistic: String {
        case median, p99
    }

    static let rows: [Row] = [
        Row(label: "swap pause, 1 service (code ready before)", ours: "swap_pause", otp: "swap_change_only", statistic: .p99, goal: 34_000),
        Row(label: "swap pause, 1 service (code ready before)", ours: "swap_pause", otp: "swap_change_only", statistic: .median, goal: nil),
        // Ours holds the loop, so every service waits; a suspended gen_server holds only itself.
        Row(label: "loop held by a 1-service swap (every service waits)", ours: "swap_loop", otp: "", statistic: .median, goal: nil),
        Row(label: "loop held by a 1-service swap (every service waits)", ours: "swap_loop", otp: "", statistic: .p99, goal: nil),
        Row(label: "full swap (ours: signed push, verified, instantiated, stored; OTP: suspend, load_binary, change_code, resume)",
            ours: "swap_full", otp: "swap_pause", statistic: .median, goal: 293_000),
        Row(label: "swap pause, 100 services at once (code ready before)", ours: "swap_100", otp: "swap_100_change_only", statistic: .p99, goal: nil),
        Row(label: "swap of 100 services at once (OTP: load_binary inside)", ours: "swap_100", otp: "swap_100", statistic: .p99, goal: 1_000_000),
        Row(label: "loop held by a 100-service swap", ours: "swap_100_loop", otp: "", statistic: .p99, goal: nil),
        Row(label: "crash → answering, warm standby ready (ours waits for it between crashes)", ours: "restart", otp: "restart", statistic: .median, goal: 12_000),
        Row(label: "crash → answering, warm standby ready (ours waits for it between crashes)", ours: "restart", otp: "restart", statistic: .p99, goal: nil),
        Row(label: "crash → answering, back to back (ours instantiates)", ours: "restart_cold", otp: "restart", statistic: .median, goal: nil),
        Row(label: "crash → answering, back to back (ours instantiates)", ours: "restart_cold", otp: "restart", statistic: .p99, goal: nil),
        Row(label: "call round trip through the loop / gen_server:call", ours: "call_loop", otp: "call_trivial", statistic: .median, goal: nil),
        Row(label: "trivial event, host → module on one thread (OTP: gen_server:call, not like for like)", ours: "edge", otp: "call_trivial",
            statistic: .median, goal: 1_000),
        Row(label: "realistic tick (2 I2C reads + decode)", ours: "rtc_tick", otp: "call_tick", statistic: .median, goal: nil),
        Row(label: "start → 100 services running", ours: "start_100", otp: "start_100", statistic: .median, goal: nil),
    ]

    static func run(scratch: String, sources: String, ours: Figures) {
        print("\nErlang/OTP on the same machine:")
        guard let erlc = executable("erlc"), let erl = executable("erl") else {
            print("  erl/erlc not found: `sudo apt-get install -y erlang-base` for the side-by-side table")
            table(ours: ours, otp: [:], otpSizes: [:], otpSoak: nil)
            return
        }
        let output = scratch + "/otp"
        mkdir(output, 0o755)
        guard capture([erlc, "-o", output, sources + "/midflight_otp_bench.erl"]) != nil,
            let text = capture([erl, "-noshell", "-pa", output, "-run", "midflight_otp_bench", "main", "1", "-s", "init", "stop"])
        else {
            print("  the Erlang side did not run (see above)")
            return
        }
        var timings: [String: [String: UInt64]] = [:]
        var sizes: [String: Int] = [:]
        var soak: [String: Int]?
        for line in text.split(separator: "\n") where line.hasPrefix("otp ") {
            print("  \(line)")
            let words = line.split(separator: " ")
            guard words.count >= 3 else { continue }
            var fields: [String: String] = [:]
            for word in words.dropFirst(2) {
                let pair = word.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            let key = String(words[1])
            if key == "soak" {
                soak = fields.compactMapValues { Int($0) }
            } else if let kilobytes = fields["kb"].flatMap({ Int($0) }) {
                sizes[key] = kilobytes
            } else if fields["median"] != nil {
                timings[key] = fields.compactMapValues { UInt64($0) }
            }
        }
        table(ours: ours, otp: timings, otpSizes: sizes, otpSoak: soak)
    }

    static func table(ours: Figures, otp: [String: [String: UInt64]], otpSizes: [String: Int], otpSoak: [String: Int]?) {
        print("\n| figure | stat | Midflight | Erlang/OTP | OTP ÷ ours | goal for ours |")
        print("|---|---|---|---|---|---|")
        for row in rows {
            guard let timing = ours.timings[row.ours] else { continue }
            let value = row.statistic == .median ? timing.median : timing.p99
            let theirs = otp[row.otp]?[row.statistic.rawValue]
            let ratio = theirs.map { value == 0 ? "-" : ratioText(Double($0) / Double(value)) } ?? "-"
            let goal = row.goal.map { "≤ \(Figures.show($0)): \(value <= $0 ? "met" : "missed by \(Figures.show(value - $0))")" } ?? ""
            print("| \(row.label) | \(row.statistic.rawValue) | \(Figures.show(value)) | \(theirs.map(Figures.show) ?? "-") | \(ratio) | \(goal) |")
        }
        let sizeRows: [(label: String, ours: String, otp: String, goal: Int?)] = [
            ("RSS idle: simulated board's services / bare VM", "rss_sim", "rss_bare", 12 * 1024),
            ("RSS idle: 100 services / 100 gen_servers", "rss_100", "rss_100", 20 * 1024),
        ]
        for row in sizeRows {
            guard let kilobytes = ours.sizes[row.ours]?.kilobytes else { continue }
            let theirs = otpSizes[row.otp]
            let ratio = theirs.map { ratioText(Double($0) / Double(kilobytes)) } ?? "-"
            let goal = row.goal.map { "≤ \(Figures.megabytes($0)): \(kilobytes <= $0 ? "met" : "missed by \(Figures.megabytes(kilobytes - $0))")" } ?? ""
            print("| \(row.label) | RSS | \(Figures.megabytes(kilobytes)) | \(theirs.map(Figures.megabytes) ?? "-") | \(ratio) | \(goal) |")
        }
        if let dynamic = ours.sizes["rss_sim_dynamic"] {
            print("| RSS idle: simulated board's services, dynamically linked build | RSS | \(Figures.megabytes(dynamic.kilobytes)) | - | - | |")
        }
        for key in ["binary_stripped", "binary", "binary_dynamic"] {
            guard let binary = ours.sizes[key] else { continue }
            print("| \(binary.label) | size | \(Figures.megabytes(binary.kilobytes)) | - | - | |")
        }
        if let soak = ours.soak {
            let theirs = otpSoak.map { "\($0["swaps"] ?? 0) swaps, \($0["events_sent"] ?? 0) events, \($0["events_lost"] ?? -1) lost" } ?? "-"
            print("| swap soak | lost | \(soak.swaps) swaps, \(soak.sent) events, \(soak.lost) lost, RSS \(soak.growthKilobytes >= 0 ? "+" : "")\(soak.growthKilobytes) kB | \(theirs) | | 0 lost: \(soak.lost == 0 ? "met" : "missed") |")
        }
    }

    static func ratioText(_ ratio: Double) -> String {
        if ratio >= 10 { return "\(Int(ratio.rounded()))×" }
        // Two significant digits below 0.1 too: 0.0036×, not 0.0×.
        var scale = 100.0
        while ratio * scale < 10, scale < 1e6 { scale *= 10 }
        return "\((ratio * scale).rounded() / scale)×"
    }

    /// The first `name` on PATH.
    static func executable(_ name: String) -> String? {
        let path = FileSystem.environment("PATH") ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where access("\(folder)/\(name)", X_OK) == 0 {
            return "\(folder)/\(name)"
        }
        return nil
    }

    /// Runs a program and returns its standard output, or nil (and says why) if it failed.
    static func capture(_ arguments: [String]) -> String? {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return nil }
        var pid: pid_t = 0
        var argv = arguments.map { strdup($0) } + [nil]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else {
            print("  cannot run \(arguments[0])")
            return nil
        }
        close(pipeEnds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(pipeEnds[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else {
            print("  \(arguments[0]) exited with status \(status >> 8)")
            return nil
        }
        return String(decoding: output, as: UTF8.self)
    }
}
