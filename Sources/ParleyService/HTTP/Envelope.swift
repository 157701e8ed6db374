import Foundation
import Hummingbird

/// A successful answer: `{"msg":"ok","data":<payload>}` with status 200 (API.md §1), written by the
/// context's response encoder (``JSONWriter``).
struct Envelope<Payload: Encodable & Sendable>: ResponseGenerator, Sendable {
    let data: Payload

    init(_ data: Payload) {
        self.data = data
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try context.responseEncoder.encode(SuccessBody(data: data), from: request, context: context)
    }

    /// The answer's body, for an answer kept to be sent again (``ContactListCache``).
    func encodedBody() throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONWriter.encode(SuccessBody(data: data)))
    }
}

/// The failure answer: `{"msg":"fail","data":"<text>","code":"<code>"}`.
struct FailureBody: Encodable {
    let msg = "fail"
    let data: String
    let code: String
}

struct SuccessBody<Payload: Encodable & Sendable>: Encodable, Sendable {
    let msg = "ok"
    let data: Payload
}

/// ISO 8601 timestamps with milliseconds in UTC: `2026-11-25T13:00:00.000Z`.
enum Timestamp {
    static func string(from date: Date) -> String {
        date.formatted(format)
    }

    /// Reads what ``string(from:)`` writes.
    static func date(from string: String) throws -> Date {
        try format.parse(string)
    }

    private static let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}
