import Foundation

/// The query parameters a WebSocket upgrade reads from its request target: `token` (API.md §5) and
/// `ack` (docs/api.md §7). A parser of client bytes on every connect, fuzzed by `FuzzUpgradeToken`.
enum UpgradeQuery {
    /// The value of query parameter `name` in `uri`, percent-decoded; `nil` when absent or empty.
    static func value(of name: String, in uri: String) -> String? {
        // Read as bytes, not Characters: this runs on every connect (BENCHMARKS.md, fix 20). A JWT
        // has nothing to decode; a percent-encoded value is decoded.
        let bytes = uri.utf8
        guard let question = bytes.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        let prefix = Array(name.utf8) + [UInt8(ascii: "=")]
        for pair in bytes[bytes.index(after: question)...].split(separator: UInt8(ascii: "&")) where pair.starts(with: prefix) {
            let value = pair.dropFirst(prefix.count)
            guard !value.isEmpty else { return nil }
            let text = String(decoding: value, as: UTF8.self)
            return value.contains(UInt8(ascii: "%")) ? text.removingPercentEncoding ?? text : text
        }
        return nil
    }
}
