/// A block of IP addresses written as CIDR (`127.0.0.1/32`, `10.0.0.0/8`, `fc00::/7`): what a deliverer may not
/// reach unless allowed (`--webhook-allow`), so that a subscription cannot make the server probe its own network.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The address's bytes: 4 for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    /// How many leading bits are fixed.
    public let prefix: Int

    /// Parses CIDR text, refusing what is not an address block.
    public init(parsing text: String) throws(CustodyError) {
        let accepted = "an address block such as 127.0.0.1/32, 10.0.0.0/8 or fd00::/8"
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let address = parts.first.flatMap({ Self.address(String($0)) }) else {
            throw .invalidValue(what: "address block", value: text, accepted: accepted)
        }
        let bits = address.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : (parts.count == 1 ? bits : nil)
        guard let prefix, (0...bits).contains(prefix) else {
            throw .invalidValue(what: "address block", value: text, accepted: accepted)
        }
        (self.bytes, self.prefix) = (address, prefix)
    }

    /// The block as CIDR text.
    public var description: String {
        let text =
            bytes.count == 4
            ? bytes.map(String.init).joined(separator: ".")
            : stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        return text + "/\(prefix)"
    }

    /// Whether `address` (4 or 16 bytes) is in the block; an IPv4-mapped IPv6 address counts as its IPv4 one.
    public func contains(_ address: [UInt8]) -> Bool {
        let address = Self.unmapped(address)
        guard address.count == bytes.count else { return false }
        var remaining = prefix
        for (a, b) in zip(address, bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }

    /// Loopback, private, shared, link-local, unspecified and multicast blocks: refused unless allowed.
    public static let nonPublic: [AddressRange] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
        "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    ].compactMap { try? AddressRange(parsing: $0) }

    /// Whether a deliverer may post to `address`: not in an internal block, or in one of `allowed`.
    public static func mayReach(_ address: [UInt8], allowed: [AddressRange]) -> Bool {
        allowed.contains { $0.contains(address) } || !nonPublic.contains { $0.contains(address) }
    }

    static func unmapped(_ address: [UInt8]) -> [UInt8] {
        address.count == 16 && address[0..<10].allSatisfy { $0 == 0 } && address[10] == 0xFF && address[11] == 0xFF
            ? Array(address[12...]) : address
    }

    /// The bytes of a dotted IPv4 or a colon-separated IPv6 address (with `::`), nil otherwise.
    static func address(_ text: String) -> [UInt8]? {
        if text.contains(":") { return ipv6(text) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            part.isEmpty
                ? []
                : part.split(separator: ":", omittingEmptySubsequences: false).map { UInt16($0, radix: 16) }
                    .reduce([UInt16]?([])) { list, group in group.flatMap { g in list.map { $0 + [g] } } }
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let all = head + Array(repeating: 0, count: halves.count == 2 ? missing : 0) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
