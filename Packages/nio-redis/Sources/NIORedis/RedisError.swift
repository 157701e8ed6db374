/// An error reply sent by the Redis server, e.g. `WRONGTYPE Operation against a key…`.
///
/// The connection that carried it is still healthy and in sync.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The full message as sent by the server, without the leading `-`.
    public var message: String

    public init(message: String) { self.message = message }

    /// The first word of the message (`ERR`, `WRONGTYPE`, `NOSCRIPT`, …).
    public var code: Substring { message.prefix { $0 != " " } }

    public var description: String { "RedisError(\(message))" }
}

/// Failures of the client itself (as opposed to error replies from the server).
public struct RedisClientError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case connectionClosed, notConnected, timeout, shutdown, invalidURL, protocolError
    }

    let code: Code
    /// Human-readable detail.
    public let detail: String

    /// The connection carrying the command was lost before its reply arrived.
    /// The command may or may not have been executed by the server.
    public static func connectionClosed(_ detail: String) -> Self { .init(code: .connectionClosed, detail: detail) }
    /// No connection became available within the command's timeout.
    public static func notConnected(_ detail: String) -> Self { .init(code: .notConnected, detail: detail) }
    /// No reply arrived within the command's timeout. The command may still be executed by the server.
    public static let timeout = Self(code: .timeout, detail: "command timed out")
    /// The client is shutting down or has shut down.
    public static let shutdown = Self(code: .shutdown, detail: "client is shut down")
    static func invalidURL(_ detail: String) -> Self { .init(code: .invalidURL, detail: detail) }
    static func protocolError(_ detail: String) -> Self { .init(code: .protocolError, detail: detail) }

    public static let connectionClosed = Self.connectionClosed("connection closed")
    public static let notConnected = Self.notConnected("not connected to Redis")
    public static let invalidURL = Self.invalidURL("")
    public static let protocolError = Self.protocolError("")

    /// Errors compare by kind only, so `catch RedisClientError.timeout` style checks work.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { "RedisClientError.\(code): \(detail)" }
}
