import Foundation
import Hummingbird

/// A successful answer: `{"msg":"ok","data":<payload>}` with status 200 (API.md §1).
public struct Envelope<Payload: Encodable & Sendable>: ResponseGenerator, Sendable {
    public let data: Payload

    public init(_ data: Payload) {
        self.data = data
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try JSONBody.response(status: .ok, body: SuccessBody(data: data))
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

private struct SuccessBody<Payload: Encodable>: Encodable {
    let msg = "ok"
    let data: Payload
}

/// The JSON answers every route shares (``JSONWriter``).
enum JSONBody {
    static func response(status: HTTPResponse.Status, body: some Encodable) throws -> Response {
        response(status: status, encoded: ByteBuffer(bytes: try JSONWriter.encode(body)))
    }

    static func response(status: HTTPResponse.Status, encoded body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}

/// ISO 8601 timestamps with milliseconds in UTC: `2026-11-25T13:00:00.000Z`.
public enum Timestamp {
    public static func string(from date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
        )
    }
}
