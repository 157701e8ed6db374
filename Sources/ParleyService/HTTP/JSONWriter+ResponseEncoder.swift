import Hummingbird

/// ``JSONWriter`` as Hummingbird's response encoder, so that every JSON answer — an ``Envelope``,
/// the failure envelope of ``EnvelopeErrorMiddleware``, anything Hummingbird itself encodes — comes
/// out of the one writer with the same bytes.
extension JSONWriter: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try Self.encode(value)))
        )
    }
}
