import FuzzSupport
@testable import ParleyService

/// The request target of a WebSocket upgrade into `GatewayChildChannel.token(in:)`, which picks
/// the `token` out of the query string. An absent token is `nil`, never an empty string.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpgradeToken(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let uri = String(decoding: fuzzBytes(start, count), as: UTF8.self)
    if let token = GatewayChildChannel.token(in: uri) {
        precondition(!token.isEmpty, "an empty token from \(uri.debugDescription)")
    }
    return 0
}
