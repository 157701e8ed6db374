import NIOCore

/// A reply from Redis (RESP2), converted into plain Swift values.
///
/// Error replies never appear as a `RESPValue` at the top level: they are thrown
/// as ``RedisError``. Inside an array (e.g. the result of `EXEC`) they are kept
/// as `.error` so that the other elements stay reachable.
public enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case error(RedisError)
    case integer(Int64)
    /// A bulk string; binary-safe.
    case bulkString(ByteBuffer)
    /// The RESP2 null bulk string / null array.
    case null
    case array([RESPValue])
}

extension RESPValue {
    /// The UTF-8 text of a simple or bulk string, `nil` otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let string): return string
        case .bulkString(let buffer): return String(buffer: buffer)
        default: return nil
        }
    }

    /// The integer value; bulk/simple strings holding a decimal number are converted too.
    public var int: Int64? {
        switch self {
        case .integer(let value): return value
        case .simpleString, .bulkString: return self.string.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The raw bytes of a bulk string.
    public var buffer: ByteBuffer? {
        if case .bulkString(let buffer) = self { return buffer }
        return nil
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool { self == .null }
}
