import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Lifecycle notifications of a self-healing connection, for metrics and for
/// reconciling application state after a reconnect.
public enum RedisConnectionEvent: Sendable, Hashable {
    /// The first connection (including AUTH/SELECT) is ready.
    case connected
    /// A new connection replaced a lost one.
    case reconnected
    /// The connection was lost; a reconnect is scheduled.
    case disconnected
    /// Subscriber only: the liveness probe didn't come back; the connection is being restarted.
    case probeFailed
}

/// Keeps one logical connection to Redis alive and runs commands on it.
///
/// Drives ``ConnectionStateMachine`` (connect, handshake, back-off, shutdown).
/// Commands issued while no connection is ready wait for one, bounded by their
/// timeout, and then fail with ``RedisClientError/notConnected``.
///
/// All mutable state is confined to `eventLoop`; public entry points hop onto it.
final class RedisConnectionManager: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let onPush: ((PubSubPush) -> Void)?
    private let onActivity: (() -> Void)?
    private let onEvent: (RedisConnectionEvent, RedisChannelHandler?) -> Void

    private var state: ConnectionStateMachine
    private var channel: (any Channel)?
    private var handler: RedisChannelHandler?
    private var reconnectTask: Scheduled<Void>?

    /// A command waiting for a connection.
    private struct Waiter {
        let arguments: [any RESPArgument]
        let deadline: NIODeadline
        let promise: EventLoopPromise<RESPValue>
        let timeout: Scheduled<Void>
    }
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiterID: UInt64 = 0

    /// - Parameters:
    ///   - onPush: set for subscriber connections; receives pub/sub pushes.
    ///   - onActivity: called on `eventLoop` for every reply or push received.
    ///   - onEvent: called on `eventLoop`; for `.connected`/`.reconnected` with the ready handler.
    init(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        logger: Logger,
        onPush: ((PubSubPush) -> Void)? = nil,
        onActivity: (() -> Void)? = nil,
        onEvent: @escaping (RedisConnectionEvent, RedisChannelHandler?) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.onPush = onPush
        self.onActivity = onActivity
        self.onEvent = onEvent
        self.state = ConnectionStateMachine(backoff: configuration.reconnectBackoff)
    }

    func start() {
        eventLoop.execute { self.perform(self.state.start()) }
    }

    /// Runs a command, waiting (within `timeout`) for a connection if none is ready.
    func send(_ arguments: [any RESPArgument], timeout: TimeAmount? = nil) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        let timeout = timeout ?? configuration.commandTimeout
        eventLoop.execute {
            if let handler = self.handler {
                handler.send(arguments, timeout: timeout, promise: promise)
            } else if self.state.state == .shutDown {
                promise.fail(RedisClientError.shutdown)
            } else {
                self.enqueueWaiter(arguments, timeout: timeout, promise: promise)
            }
        }
        return promise.futureResult
    }

    /// Settles an overdue liveness probe (``ProbeStateMachine/TickAction/confirmSilence(lastActivity:)``):
    /// asks the kernel when data last arrived, lets `decide` (the probe's state machine) rule, logs
    /// what it found and restarts a silent connection.
    @discardableResult
    func confirmSilence(
        since lastActivity: NIODeadline,
        decide: @escaping @Sendable (_ kernelLastReceived: NIODeadline?, _ now: NIODeadline) -> ProbeStateMachine.Verdict
    ) -> EventLoopFuture<ProbeStateMachine.Verdict> {
        kernelLastReceived().map { received in
            let now = NIODeadline.now()
            let verdict = decide(received, now)
            switch verdict {
            case .answered:
                break
            case .eventLoopBehind:
                self.logger.warning(
                    "Redis has sent data this connection's event loop has not read: the loop is too busy; keeping the connection",
                    metadata: ["unread_seconds": "\(Double((now - lastActivity).nanoseconds) / 1e9)"]
                )
            case .silent:
                self.logger.warning("Redis did not answer the liveness probe; restarting the connection")
                self.restartConnection()
            }
            return verdict
        }
    }

    /// When the kernel last received data on the current connection, read by the event loop or
    /// not yet (`TCP_INFO`); `nil` without a connection, or where the kernel does not say.
    private func kernelLastReceived() -> EventLoopFuture<NIODeadline?> {
        #if os(Linux)
        guard let socket = channel as? any SocketOptionProvider else { return eventLoop.makeSucceededFuture(nil) }
        return socket.getTCPInfo()
            .map { info in NIODeadline.now() - .milliseconds(Int64(info.tcpi_last_data_recv)) }
            .recover { _ in nil }
        #else
        return eventLoop.makeSucceededFuture(nil)
        #endif
    }

    /// Closes the current connection (if any); the normal reconnect logic replaces it.
    func restartConnection() {
        eventLoop.execute { self.channel?.close(promise: nil) }
    }

    /// Fails waiting commands, lets in-flight commands finish (bounded by their
    /// timeouts) and closes the connection. Completes when the channel is closed.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            let action = self.state.shutdown()
            for (_, waiter) in self.waiters {
                waiter.timeout.cancel()
                waiter.promise.fail(RedisClientError.shutdown)
            }
            self.waiters.removeAll()
            switch action {
            case .closeGracefully:
                let channel = self.channel
                self.handler?.closeGracefully()
                return channel?.closeFuture ?? self.eventLoop.makeSucceededVoidFuture()
            case .cancelReconnect:
                self.reconnectTask?.cancel()
                return self.eventLoop.makeSucceededVoidFuture()
            default:
                return self.eventLoop.makeSucceededVoidFuture()
            }
        }
    }

    // MARK: - Driving the state machine

    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none, .closeGracefully, .cancelReconnect, .closeConnection, .connected:
            // The last four only arise from calls that handle them in place.
            break
        case .connect:
            connect()
        case .scheduleReconnect(let delay):
            logger.debug("reconnecting to Redis", metadata: ["delay": "\(delay)"])
            reconnectTask = eventLoop.scheduleTask(in: delay) {
                self.perform(self.state.reconnectTimerFired())
            }
        }
    }

    private func connect() {
        let handler = RedisChannelHandler(logger: logger, onPush: onPush, onActivity: onActivity)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // The kernel also gives up on a peer that vanished (no FIN, no RST) within a minute,
            // instead of the default two hours; the probes usually notice much sooner.
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPIDLE)), value: 30)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPINTVL)), value: 10)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPCNT)), value: 3)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMap { channel in
                self.handshake(handler).map { channel }.flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
            }
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.connectSucceeded(channel: channel, handler: handler)
                case .failure(let error):
                    self.logger.debug("connecting to Redis failed", metadata: ["error": "\(error)"])
                    self.perform(self.state.connectFailed())
                }
            }
    }

    private func handshake(_ handler: RedisChannelHandler) -> EventLoopFuture<Void> {
        configuration.handshakeCommands.reduce(eventLoop.makeSucceededVoidFuture()) { previous, command in
            previous.flatMap {
                let promise = self.eventLoop.makePromise(of: RESPValue.self)
                handler.send(command, timeout: self.configuration.connectTimeout, promise: promise)
                return promise.futureResult.map { _ in }
            }
        }
    }

    private func connectSucceeded(channel: any Channel, handler: RedisChannelHandler) {
        switch state.connectSucceeded() {
        case .connected(let isReconnect):
            self.channel = channel
            self.handler = handler
            channel.closeFuture.whenComplete { _ in self.connectionLost(channel) }
            logger.debug("connected to Redis", metadata: ["reconnect": "\(isReconnect)"])
            onEvent(isReconnect ? .reconnected : .connected, handler)
            dispatchWaiters(to: handler)
        default:  // shut down meanwhile
            channel.close(promise: nil)
        }
    }

    private func connectionLost(_ channel: any Channel) {
        guard channel === self.channel else { return }
        self.channel = nil
        self.handler = nil
        let action = state.connectionLost()
        if action != .none {
            logger.info("lost connection to Redis")
            onEvent(.disconnected, nil)
        }
        perform(action)
    }

    // MARK: - Commands waiting for a connection

    private func enqueueWaiter(_ arguments: [any RESPArgument], timeout: TimeAmount, promise: EventLoopPromise<RESPValue>) {
        let id = nextWaiterID
        nextWaiterID += 1
        let task = eventLoop.scheduleTask(in: timeout) {
            if let waiter = self.waiters.removeValue(forKey: id) {
                waiter.promise.fail(RedisClientError.notConnected)
            }
        }
        waiters[id] = Waiter(arguments: arguments, deadline: .now() + timeout, promise: promise, timeout: task)
    }

    private func dispatchWaiters(to handler: RedisChannelHandler) {
        let now = NIODeadline.now()
        for (_, waiter) in waiters.sorted(by: { $0.key < $1.key }) {
            waiter.timeout.cancel()
            handler.send(waiter.arguments, timeout: waiter.deadline - now, promise: waiter.promise)
        }
        waiters.removeAll()
    }
}
