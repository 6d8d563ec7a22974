/// The address patterns of `authorized_keys`' `from=`, as sshd matches them against the
/// client's address (no reverse DNS here): `*` and `?` wildcards, IPv4 CIDR (`10.0.0.0/8`),
/// and `!` in front to refuse what matches even when another pattern allows it.
enum AddressPattern {
    static func isValid(_ pattern: String) -> Bool {
        let body = pattern.hasPrefix("!") ? pattern.dropFirst() : Substring(pattern)
        guard !body.isEmpty else { return false }
        if body.contains("/") { return cidr(body) != nil }
        // Addresses only (no reverse DNS here): a host name, a range or a spelling that can
        // never match would make a `!` exclusion silently exclude nothing.
        if body.contains(":") { return body.allSatisfy { $0.isHexDigit || ":*?".contains($0) } }
        return body.allSatisfy { $0.isNumber || ".*?".contains($0) } && body.contains(where: { $0 == "." || $0 == "*" })
    }

    /// Whether `address` is allowed by `patterns`: some pattern matches and no negated one does.
    /// An IPv4 client on a dual-stack socket (`::ffff:a.b.c.d`) is matched as `a.b.c.d`, as
    /// sshd does; an address that is not known matches nothing.
    static func matches(_ patterns: [String], address rawAddress: String) -> Bool {
        var address = rawAddress.lowercased()
        if address.hasPrefix("::ffff:"), ipv4(address.dropFirst(7)) != nil { address = String(address.dropFirst(7)) }
        guard ipv4(Substring(address)) != nil || address.contains(":") else { return false }
        var allowed = false
        for pattern in patterns {
            let negated = pattern.hasPrefix("!")
            let body = negated ? pattern.dropFirst() : Substring(pattern)
            let hit: Bool
            if body.contains("/") {
                guard let (network, bits) = cidr(body), let value = ipv4(Substring(address)) else { continue }
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - UInt32(bits))
                hit = value & mask == network & mask
            } else {
                hit = glob(Array(body.lowercased()), Array(address.lowercased()))
            }
            if hit {
                if negated { return false }
                allowed = true
            }
        }
        return allowed
    }

    private static func cidr(_ text: Substring) -> (UInt32, Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = ipv4(parts[0]), let bits = Int(parts[1]), (0...32).contains(bits) else { return nil }
        return (address, bits)
    }

    private static func ipv4(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard (1...3).contains(octet.count), let number = UInt32(octet), number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    /// `*` any run, `?` one character.
    private static func glob(_ pattern: [Character], _ text: [Character]) -> Bool {
        var (p, t) = (0, 0)
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
