import CHiredis
import NIOCore

/// Incremental RESP2 parser backed by hiredis's reply reader.
///
/// Bytes are fed as they arrive from NIO; complete replies are converted into
/// ``RESPValue`` immediately and the C reply object is freed right after, so
/// every `redisReply` is freed exactly once and never escapes this type.
/// Not thread-safe: owned by one channel handler on its event loop.
final class HiredisReader {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else {
            fatalError("redisReaderCreate failed: out of memory")
        }
        self.reader = reader
    }

    deinit {
        redisReaderFree(self.reader)
    }

    /// Hands received bytes to the reader (hiredis copies them).
    func feed(_ buffer: ByteBuffer) throws(RedisClientError) {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress else { return REDIS_OK }
            return redisReaderFeed(self.reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw self.readerError() }
    }

    /// The next complete reply, or `nil` when more bytes are needed.
    /// Top-level error replies are returned as `.error`.
    func next() throws(RedisClientError) -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(self.reader, &raw) == REDIS_OK else { throw self.readerError() }
        guard let raw else { return nil }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    private func readerError() -> RedisClientError {
        let message = withUnsafeBytes(of: self.reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .protocolError("hiredis reader: \(message)")
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulkString(ByteBuffer(bytes: UnsafeRawBufferPointer(start: r.str, count: Int(r.len))))
        case REDIS_REPLY_STATUS:
            return .simpleString(Self.text(r))
        case REDIS_REPLY_ERROR:
            return .error(RedisError(message: Self.text(r)))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(r.elements)).map { Self.convert(r.element[$0]!) })
        default: // REDIS_REPLY_NIL
            return .null
        }
    }

    private static func text(_ r: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: r.str, count: Int(r.len)), as: UTF8.self)
    }
}
