import Foundation

/// What a WebSocket upgrade reads from its request target: the path, and the query parameters
/// `token` (API.md §5) and `ack` (docs/api.md §7). A parser of client bytes on every connect,
/// fuzzed by `FuzzUpgradeToken`.
enum UpgradeQuery {
    /// The value of query parameter `name` in `uri`, percent-decoded; `nil` when absent or empty.
    static func value(of name: String, in uri: String) -> String? {
        // Read as bytes, not Characters, and without splitting into an array: this runs twice on
        // every connect (BENCHMARKS.md, fixes 20 and 32). A JWT has nothing to decode; a
        // percent-encoded value is decoded.
        let bytes = uri.utf8
        guard var pairStart = bytes.firstIndex(of: UInt8(ascii: "?")).map(bytes.index(after:)) else { return nil }
        while pairStart < bytes.endIndex {
            let pairEnd = bytes[pairStart...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            if let value = value(of: name, inPair: bytes[pairStart..<pairEnd]) {
                guard !value.isEmpty else { return nil }
                let text = String(decoding: value, as: UTF8.self)
                return value.contains(UInt8(ascii: "%")) ? text.removingPercentEncoding ?? text : text
            }
            pairStart = pairEnd == bytes.endIndex ? pairEnd : bytes.index(after: pairEnd)
        }
        return nil
    }

    /// What follows `name=` in `pair`, or `nil` when the pair names another parameter.
    private static func value(of name: String, inPair pair: Substring.UTF8View) -> Substring.UTF8View? {
        guard pair.starts(with: name.utf8) else { return nil }
        let rest = pair.dropFirst(name.utf8.count)
        guard rest.first == UInt8(ascii: "=") else { return nil }
        return rest.dropFirst()
    }

    /// Whether `uri` is the gateway's path, `/ws`, with or without a query.
    static func isGatewayPath(_ uri: String) -> Bool {
        uri.utf8.prefix { $0 != UInt8(ascii: "?") }.elementsEqual("/ws".utf8)
    }
}
