import Hummingbird

/// ``JSONWriter`` as Hummingbird's response encoder, so that every JSON answer — an ``Envelope``,
/// the failure envelope of ``EnvelopeErrorMiddleware``, anything Hummingbird itself encodes — comes
/// out of the one writer with the same bytes.
extension JSONWriter: ResponseEncoder {
    func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        Self.response(ByteBuffer(bytes: try Self.encode(value)))
    }

    /// The answer of JSON this writer wrote earlier and was kept (``ContactListCache``).
    static func response(_ body: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}
