import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A Redis client: one pipelined, self-healing connection shared by all callers.
///
/// Run it as a `Service` (in a `ServiceGroup`, or call ``run()`` in a task).
/// Any number of tasks may call ``send(_:timeout:)`` concurrently; their
/// commands are pipelined on the connection and replies matched in order.
///
/// Failure semantics:
/// - an error reply throws ``RedisError`` (the connection stays usable);
/// - no reply within the timeout throws ``RedisClientError/timeout``;
/// - losing the connection fails in-flight commands at once with
///   ``RedisClientError/connectionClosed``, and a reconnect starts in the background;
/// - while disconnected, commands wait for the reconnect up to their timeout and
///   then throw ``RedisClientError/notConnected``;
/// - after shutdown, commands throw ``RedisClientError/shutdown``.
public final class RedisClient: Service, Sendable {
    public let configuration: RedisConfiguration
    private let manager: RedisConnectionManager

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.manager = RedisConnectionManager(
            configuration: configuration,
            eventLoop: eventLoopGroup.next(),
            logger: logger
        )
    }

    /// Connects (and keeps reconnecting) until graceful shutdown or cancellation,
    /// then lets in-flight commands complete and closes the connection.
    public func run() async throws {
        manager.start()
        try? await gracefulShutdown()
        try await manager.shutdown().get()
    }

    /// Sends one command, e.g. `send(["SET", "key", buffer])`.
    /// - Parameter timeout: defaults to ``RedisConfiguration/commandTimeout``.
    @discardableResult
    public func send(_ arguments: [any RESPArgument], timeout: TimeAmount? = nil) async throws -> RESPValue {
        try await manager.send(arguments, timeout: timeout).get()
    }

    /// Sends one command, e.g. `send("INCR", "counter")`.
    @discardableResult
    public func send(_ arguments: any RESPArgument...) async throws -> RESPValue {
        try await send(arguments)
    }

    /// Runs a Lua script with `EVALSHA`; if the server doesn't have it cached
    /// (`NOSCRIPT`, e.g. after a restart or `SCRIPT FLUSH`) it is sent with `EVAL`,
    /// which also caches it for the next call.
    @discardableResult
    public func evaluate(
        _ script: RedisScript,
        keys: [any RESPArgument] = [],
        arguments: [any RESPArgument] = [],
        timeout: TimeAmount? = nil
    ) async throws -> RESPValue {
        let tail: [any RESPArgument] = [keys.count] + keys + arguments
        do {
            return try await send(["EVALSHA", script.sha1] + tail, timeout: timeout)
        } catch let error as RedisError where error.code == "NOSCRIPT" {
            return try await send(["EVAL", script.source] + tail, timeout: timeout)
        }
    }

    /// Publishes `payload` on `channel`; returns the number of subscribers that received it.
    @discardableResult
    public func publish(_ payload: some RESPArgument, to channel: String) async throws -> Int {
        Int(try await send(["PUBLISH", channel, payload]).int ?? 0)
    }
}
