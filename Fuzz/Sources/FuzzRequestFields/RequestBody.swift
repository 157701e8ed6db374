import FuzzSupport
import NIOCore
@testable import ParleyParsers

/// The content types a body arrives with: both parsers, parameters, an absent header (read as
/// JSON) and one that is refused.
private let contentTypes: [String?] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded; charset=UTF-8",
    nil,
    "text/plain",
]

/// A request body into `RequestFields.parse(body:contentType:)`; the first byte picks the content
/// type. A `ParleyError` (400, 413, 415, 422) is a client's fault and fine; any other error would
/// answer 500, and a trap kills the node: both are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestBody(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(fuzzBytes(start, count))
    let contentType = contentTypes[Int(input.byte()) % contentTypes.count]
    let body = ByteBuffer(bytes: input.rest())
    do {
        _ = try RequestFields.parse(body: body, contentType: contentType)
    } catch is ParleyError {
    } catch {
        fatalError("RequestFields.parse threw \(error), not a ParleyError")
    }
    return 0
}
