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
///
/// Liveness: when no reply arrived for ``RedisConfiguration/probeIdleInterval`` the client sends
/// a `PING`, and restarts the connection when no reply at all (the `PING`'s or an earlier
/// command's) arrives within ``RedisConfiguration/probeTimeout`` and the kernel has received
/// nothing the event loop did not read (``ProbeStateMachine``), so a connection that went silent is
/// replaced in seconds, and a busy one is not; TCP keepalive backs this up.
public final class RedisClient: Service, @unchecked Sendable {
    public let configuration: RedisConfiguration
    private let logger: Logger
    // Confined to the manager's event loop:
    private var manager: RedisConnectionManager!
    private var probe: ProbeStateMachine

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.logger = logger
        self.probe = ProbeStateMachine(idleInterval: configuration.probeIdleInterval, timeout: configuration.probeTimeout, proof: .anyReply)
        self.manager = RedisConnectionManager(
            configuration: configuration,
            eventLoop: eventLoopGroup.next(),
            logger: logger,
            onActivity: { [weak self] in self?.probe.activity(now: .now()) },
            onEvent: { [weak self] event, _ in self?.connectionEvent(event) }
        )
    }

    /// Connects (and keeps reconnecting) until graceful shutdown or cancellation,
    /// then lets in-flight commands complete and closes the connection.
    public func run() async throws {
        manager.start()
        let interval = TimeAmount.nanoseconds(
            max(min(configuration.probeIdleInterval, configuration.probeTimeout).nanoseconds / 4, 10_000_000)
        )
        let ticker = manager.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            self.probeTick()
        }
        try? await gracefulShutdown()
        ticker.cancel()
        try await manager.shutdown().get()
    }

    private func connectionEvent(_ event: RedisConnectionEvent) {
        switch event {
        case .connected, .reconnected: probe.connected(now: .now())
        case .disconnected: probe.disconnected()
        case .probeFailed: break
        }
    }

    private func probeTick() {
        switch probe.tick(now: .now()) {
        case .none:
            break
        case .sendProbe(let token):
            manager.send(["PING"], timeout: configuration.probeTimeout).whenSuccess { _ in
                self.probe.probeReceived(token: token, now: .now())
            }
        case .confirmSilence(let lastActivity):
            manager.confirmSilence(since: lastActivity) { received, now in
                self.probe.silenceChecked(kernelLastReceived: received, now: now)
            }
        }
    }

    /// Sends one command, e.g. `send(["SET", "key", buffer])`.
    /// - Parameter timeout: defaults to ``RedisConfiguration/commandTimeout``.
    @discardableResult
    public func send(_ arguments: [any RESPArgument], timeout: TimeAmount? = nil) async throws -> RESPValue {
        try await traced(arguments) { try await manager.send(arguments, timeout: timeout).get() }
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
