import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A message received on a subscribed channel.
public struct RedisMessage: Sendable, Hashable {
    public let channel: String
    public let payload: ByteBuffer
    /// Counts the messages received on subscribed channels, from 1, dropped ones included: a
    /// consumer compares it with ``RedisSubscriber/SyncPoint/lastSequence``.
    public let sequence: UInt64

    public init(channel: String, payload: ByteBuffer, sequence: UInt64 = 0) {
        self.channel = channel
        self.payload = payload
        self.sequence = sequence
    }
}

/// Holds any number of channel subscriptions on one dedicated connection.
///
/// - The desired channel set lives in memory and is re-subscribed, in batches,
///   on every (re)connect.
/// - ``messages`` is bounded (``Options/messageBufferSize``): when the consumer
///   falls behind, the *oldest* buffered messages are dropped and counted in
///   ``droppedMessageCount``; memory never grows without bound.
/// - A liveness probe (see ``ProbeStateMachine``) restarts the connection when
///   publishes stop reaching it.
/// - ``events`` reports connected / reconnected / disconnected / probe failed;
///   after `.reconnected` messages published while disconnected are lost, so
///   the application should reconcile its state.
public final class RedisSubscriber: Service, @unchecked Sendable {
    public struct Options: Sendable {
        /// Probe when nothing arrived for this long.
        public var probeIdleInterval: TimeAmount = .seconds(10)
        /// Restart the connection when the probe isn't back within this time.
        public var probeTimeout: TimeAmount = .seconds(3)
        /// Capacity of ``RedisSubscriber/messages``.
        public var messageBufferSize: Int = 10_000
        /// Channels per SUBSCRIBE/UNSUBSCRIBE command.
        public var batchSize: Int = 1_000

        public init() {}
    }

    /// One connection of the subscriber on which a channel was confirmed (``confirmation(of:)``).
    public struct Confirmation: Sendable, Hashable {
        let connection: UInt64
    }

    /// A moment at which every message Redis had published to the subscribed channels before it
    /// had arrived (``sync()``).
    public struct SyncPoint: Sendable, Hashable {
        let connection: UInt64
        /// The ``RedisMessage/sequence`` of the last message received by then (0 for none).
        public let lastSequence: UInt64

        /// Whether the subscriber stayed on the connection of `confirmation` until this point: then no
        /// message published to its channel in between was lost.
        public func isContinuous(since confirmation: Confirmation) -> Bool {
            connection == confirmation.connection
        }
    }

    /// Incoming messages. Single consumer.
    public let messages: AsyncStream<RedisMessage>
    /// Lifecycle events (bounded; keeps the newest 100). Single consumer.
    public let events: AsyncStream<RedisConnectionEvent>
    /// The channel this subscriber uses for its liveness probe.
    public let probeChannel: String

    private let configuration: RedisConfiguration
    private let options: Options
    private let publisher: RedisClient
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let messageContinuation: AsyncStream<RedisMessage>.Continuation
    private let eventContinuation: AsyncStream<RedisConnectionEvent>.Continuation
    private let dropped = NIOLockedValueBox(0)
    /// The last message's ``RedisMessage/sequence``; confined to `eventLoop`.
    private var lastSequence: UInt64 = 0

    // Confined to `eventLoop`:
    private var manager: RedisConnectionManager!
    private var subscriptions: SubscriptionStateMachine
    private var probe: ProbeStateMachine
    private var handler: RedisChannelHandler?
    private var barrierWaiters: [UInt64: (promise: EventLoopPromise<Void>, timeout: Scheduled<Void>)] = [:]

    /// - Parameter publisher: the client used to publish probe messages; use the
    ///   same Redis deployment as `configuration`.
    public init(
        configuration: RedisConfiguration,
        options: Options = .init(),
        publisher: RedisClient,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.options = options
        self.publisher = publisher
        self.logger = logger
        self.eventLoop = eventLoopGroup.next()
        self.probeChannel = "__nio_redis_probe:\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        (messages, messageContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(options.messageBufferSize))
        (events, eventContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100))
        self.subscriptions = SubscriptionStateMachine(initialChannels: [probeChannel])
        self.probe = ProbeStateMachine(idleInterval: options.probeIdleInterval, timeout: options.probeTimeout, proof: .probeOnly)
        self.manager = RedisConnectionManager(
            configuration: configuration,
            eventLoop: eventLoop,
            logger: logger,
            onPush: { [weak self] push in self?.pushReceived(push) },
            onEvent: { [weak self] event, handler in self?.connectionEvent(event, handler: handler) }
        )
    }

    /// Messages dropped because ``messages`` was full.
    public var droppedMessageCount: Int { dropped.withLockedValue { $0 } }

    /// Adds channels to the desired set and subscribes to them.
    ///
    /// Returns once the server has confirmed them; while disconnected (or before
    /// ``run()``) it waits for the connection. Throws ``RedisClientError/timeout`` if that doesn't
    /// happen within the command timeout: the channels stay in the desired set
    /// and are subscribed on the next connect (signalled by ``events``).
    public func subscribe(_ channels: [String]) async throws {
        try await eventLoop.flatSubmit {
            self.perform(self.subscriptions.subscribe(channels))
        }.get()
    }

    /// Removes channels from the desired set and unsubscribes from them; same completion rules as ``subscribe(_:)``.
    public func unsubscribe(_ channels: [String]) async throws {
        let channels = channels.filter { $0 != probeChannel }
        try await eventLoop.flatSubmit {
            self.perform(self.subscriptions.unsubscribe(channels))
        }.get()
    }

    /// The current connection, if `channel` is subscribed and confirmed on it; `nil` otherwise. Pass
    /// it to ``SyncPoint/isContinuous(since:)`` to learn whether a message to `channel` published
    /// after this call can have been lost.
    public func confirmation(of channel: String) async throws -> Confirmation? {
        try await eventLoop.submit {
            self.subscriptions.confirmedConnection(of: channel).map(Confirmation.init)
        }.get()
    }

    /// Returns once every message Redis published to the subscribed channels before this call has
    /// arrived (a `PING` on the subscription's connection, answered in order), with the sequence of
    /// the last one. While disconnected it waits for the next connection, as ``subscribe(_:)``.
    public func sync() async throws -> SyncPoint {
        try await eventLoop.flatSubmit {
            self.perform(self.subscriptions.sync()).map {
                // Runs on the event loop as the pong completes the barrier: the state at that pong.
                SyncPoint(connection: self.subscriptions.connection, lastSequence: self.lastSequence)
            }
        }.get()
    }

    /// The channels currently desired (excluding the probe channel).
    public var channels: Set<String> {
        get async throws {
            try await eventLoop.submit {
                self.subscriptions.desired.subtracting([self.probeChannel])
            }.get()
        }
    }

    /// Connects, keeps the subscriptions alive until graceful shutdown or
    /// cancellation, then closes the connection and finishes ``messages`` and ``events``.
    public func run() async throws {
        manager.start()
        let tickInterval = TimeAmount.nanoseconds(
            max(min(options.probeIdleInterval, options.probeTimeout).nanoseconds / 4, 10_000_000)
        )
        let ticker = eventLoop.scheduleRepeatedTask(initialDelay: tickInterval, delay: tickInterval) { _ in
            self.probeTick()
        }
        try? await gracefulShutdown()
        ticker.cancel()
        try await manager.shutdown().get()
        try await eventLoop.submit {
            for (_, waiter) in self.barrierWaiters {
                waiter.timeout.cancel()
                waiter.promise.fail(RedisClientError.shutdown)
            }
            self.barrierWaiters.removeAll()
        }.get()
        messageContinuation.finish()
        eventContinuation.finish()
    }

    // MARK: - On the event loop

    private func perform(_ action: SubscriptionStateMachine.RequestAction) -> EventLoopFuture<Void> {
        switch action {
        case .completeNow:
            return eventLoop.makeSucceededVoidFuture()
        case .send(let command, let barrier):
            if let command { send(command) }
            sendBarrier(barrier)
            return waitForBarrier(barrier)
        case .awaitConnection(let barrier):
            return waitForBarrier(barrier)
        }
    }

    private func waitForBarrier(_ barrier: UInt64) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let timeout = eventLoop.scheduleTask(in: configuration.commandTimeout) {
            if let waiter = self.barrierWaiters.removeValue(forKey: barrier) {
                self.subscriptions.barrierAbandoned(barrier)
                waiter.promise.fail(RedisClientError.timeout)
            }
        }
        barrierWaiters[barrier] = (promise, timeout)
        return promise.futureResult
    }

    private func sendBarrier(_ barrier: UInt64) {
        handler?.sendWithoutReply(["PING", String(barrier)])
    }

    private func send(_ command: SubscriptionStateMachine.Command) {
        let (name, channels): (String, [String])
        switch command {
        case .subscribe(let list): (name, channels) = ("SUBSCRIBE", list)
        case .unsubscribe(let list): (name, channels) = ("UNSUBSCRIBE", list)
        }
        for start in stride(from: 0, to: channels.count, by: options.batchSize) {
            let batch = channels[start..<min(start + options.batchSize, channels.count)]
            handler?.sendWithoutReply([name] + batch.map { $0 as any RESPArgument })
        }
    }

    private func completeBarriers(_ barriers: [UInt64]) {
        for barrier in barriers {
            guard let waiter = barrierWaiters.removeValue(forKey: barrier) else { continue }
            waiter.timeout.cancel()
            waiter.promise.succeed()
        }
    }

    private func connectionEvent(_ event: RedisConnectionEvent, handler: RedisChannelHandler?) {
        switch event {
        case .connected, .reconnected:
            self.handler = handler
            // The probe channel is always desired, so the connection is in pub/sub
            // mode before any barrier PING is sent (and pongs arrive as pushes).
            let (channels, barrier) = subscriptions.connected()
            send(.subscribe(channels))
            if let barrier { sendBarrier(barrier) }
            probe.connected(now: .now())
        case .disconnected:
            self.handler = nil
            subscriptions.disconnected()
            probe.disconnected()
        case .probeFailed:
            break
        }
        eventContinuation.yield(event)
    }

    private func pushReceived(_ push: PubSubPush) {
        let now = NIODeadline.now()
        probe.activity(now: now)
        switch push {
        case .message(let channel, let payload):
            if channel == probeChannel {
                if let token = UInt64(String(buffer: payload)) {
                    probe.probeReceived(token: token, now: now)
                }
            } else if subscriptions.shouldDeliver(channel) {
                lastSequence += 1
                let message = RedisMessage(channel: channel, payload: payload, sequence: lastSequence)
                if case .dropped = messageContinuation.yield(message) {
                    dropped.withLockedValue { $0 += 1 }
                }
            }
        case .subscribed(let channel):
            subscriptions.subscriptionConfirmed(channel)
        case .unsubscribed(let channel):
            subscriptions.unsubscriptionConfirmed(channel)
        case .pong(let payload):
            if let barrier = UInt64(String(buffer: payload)) {
                completeBarriers(subscriptions.pongReceived(barrier: barrier))
            }
        }
    }

    private func probeTick() {
        switch probe.tick(now: .now()) {
        case .none:
            break
        case .sendProbe(let token):
            let publisher = publisher
            let channel = probeChannel
            Task {
                do {
                    try await publisher.publish(String(token), to: channel)
                } catch {
                    self.logger.debug("publishing the subscriber probe failed", metadata: ["error": "\(error)"])
                }
            }
        case .confirmSilence(let lastActivity):
            manager.confirmSilence(since: lastActivity) { received, now in
                self.probe.silenceChecked(kernelLastReceived: received, now: now)
            }.whenSuccess { verdict in
                if verdict == .silent { self.eventContinuation.yield(.probeFailed) }
            }
        }
    }
}
