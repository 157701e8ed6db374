import FuzzSupport
@testable import ParleyParsers

/// The request target of a WebSocket upgrade into `UpgradeQuery.value(of:in:)`,
/// which picks `token` and `ack` out of the query string. An absent value is `nil`, never an empty
/// string.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpgradeToken(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let uri = String(decoding: fuzzBytes(start, count), as: UTF8.self)
    for name in ["token", "ack"] {
        if let value = UpgradeQuery.value(of: name, in: uri) {
            precondition(!value.isEmpty, "an empty \(name) from \(uri.debugDescription)")
        }
    }
    return 0
}
