#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An IPv4 or IPv6 address as 128 bits: IPv4 is held as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`),
/// so one type, one comparison and one range check serve both.
struct IPAddress: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    /// Parses a textual address (`203.0.113.7`, `2001:db8::1`, `fe80::1%eth0`); `nil` for anything else.
    init?(_ text: some StringProtocol) {
        let withoutZone = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard !withoutZone.isEmpty, withoutZone.utf8.count <= 45 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        let text = String(withoutZone)
        if text.contains(":") {
            guard inet_pton(AF_INET6, text, &bytes) == 1 else { return nil }
        } else {
            var v4 = [UInt8](repeating: 0, count: 4)
            guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
            bytes = Self.v4MappedPrefix + v4
        }
        self.init(bytes: bytes)
    }

    /// The address of a socket's peer, read from its bytes. Every connection asks for it, and going
    /// through its text (NIO's `ipAddress`, then parsing that) cost over 1 % of a node's CPU in a
    /// reconnect storm (BENCHMARKS.md, fix 32). `nil` for a Unix domain socket.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(UInt32(bigEndian: v4.address.sin_addr.s_addr)))
        case .v6(let v6):
            let (high, low) = withUnsafeBytes(of: v6.address.sin6_addr) { raw in
                (UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)), UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            self.init(high: high, low: low)
        case .unixDomainSocket:
            return nil
        }
    }

    private init(bytes: [UInt8]) {
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    private static let v4MappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// `127.0.0.1` or `::1`: the node's own host, at the loopback address local software uses.
    var isOwnHost: Bool {
        high == 0 && (low == 1 || low == 0xFFFF_7F00_0001)
    }

    /// The part of the address that names one client for per-address limits: an IPv4 address is
    /// one client, while one IPv6 subscriber usually holds a whole /64 and could otherwise take a
    /// fresh address for every request.
    var clientKey: IPAddress {
        isIPv4 ? self : IPAddress(high: high, low: 0)
    }

    /// The address in its usual text form.
    var text: String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * index))
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if isIPv4 {
            inet_ntop(AF_INET, Array(bytes[12..<16]), &buffer, socklen_t(buffer.count))
        } else {
            inet_ntop(AF_INET6, bytes, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A block of addresses in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a block
/// of one.
struct IPAddressRange: Sendable, Equatable {
    let network: IPAddress
    /// Significant leading bits, of the 128-bit form.
    let prefixLength: Int

    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let fullLength = address.isIPv4 ? 32 : 128
        var length = fullLength
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...fullLength).contains(given) else { return nil }
            length = given
        }
        prefixLength = address.isIPv4 ? 96 + length : length
        network = Self.masked(address, prefixLength: prefixLength)
    }

    func contains(_ address: IPAddress) -> Bool {
        Self.masked(address, prefixLength: prefixLength) == network
    }

    private static func masked(_ address: IPAddress, prefixLength: Int) -> IPAddress {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> bits) }
        return IPAddress(high: address.high & mask(prefixLength), low: address.low & mask(prefixLength - 64))
    }
}
