import Foundation

/// The balancers whose `X-Real-IP` header names the client (`PARLEY_TRUSTED_PROXIES`, like nginx's
/// `set_real_ip_from`). From any other peer the header is ignored: a client could send it itself.
struct TrustedProxies: Sendable, Equatable {
    let ranges: [IPAddressRange]

    /// No proxy is trusted: every client address is the connection's peer.
    static let none = TrustedProxies(ranges: [])

    /// Parses a comma-separated list of CIDR blocks or addresses; the failure names the first entry
    /// that is neither.
    static func parse(_ list: String) -> Result<TrustedProxies, InvalidEntry> {
        var ranges: [IPAddressRange] = []
        for entry in list.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let range = IPAddressRange(trimmed) else { return .failure(InvalidEntry(text: trimmed)) }
            ranges.append(range)
        }
        return .success(TrustedProxies(ranges: ranges))
    }

    struct InvalidEntry: Error {
        let text: String
    }

    func trusts(_ peer: IPAddress) -> Bool {
        ranges.contains { $0.contains(peer) }
    }

    /// The client's address: the peer's, or `X-Real-IP` when the peer is a trusted proxy and the
    /// header holds one valid address. `nil` only when the peer's address is unknown.
    func clientAddress(peer: IPAddress?, realIP: String?) -> IPAddress? {
        guard let peer else { return nil }
        guard !ranges.isEmpty, trusts(peer), let realIP, let client = IPAddress(realIP.trimmingCharacters(in: .whitespaces))
        else { return peer }
        return client
    }
}
