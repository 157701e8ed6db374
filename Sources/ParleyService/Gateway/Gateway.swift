import Foundation
import Logging
import Metrics
import NIOCore
import NIORedis
import ServiceLifecycle
import Synchronization

/// The node's side of the cluster protocol: it holds the sockets of this node, drives
/// ``GatewayStateMachine`` with what sockets, PostgreSQL and Redis report, and performs the
/// actions it decides.
///
/// Its parts, one file each: the socket lifecycle, the actions and subscriptions (here); the
/// connect steps done in batches — session checks, claims, subscriber syncs (`Gateway+Connects`);
/// the account channels' events (`Gateway+AccountEvents`); the session checks of open sockets
/// (`Gateway+Sessions`); the node's heartbeat (``NodeHeartbeat``). Every job a socket step starts
/// runs in the gateway's ``WorkQueue``, and every batch loop (``BatchQueue``) in its service run: a
/// drain cancels and awaits them before the node deregisters.
final class Gateway: SocketLifecycleDelegate, Service {
    let presence: ClusterPresence
    let subscriber: RedisSubscriber
    let courier: MessageCourier
    let authenticator: Authenticator
    /// The connect path's session checks run on it, not through the pool.
    let sessionChecksConnection: DedicatedConnection
    let readiness: Readiness
    /// Where the node's joins, drains, departures and reaps are written.
    let events: EventFeed
    let configuration: ParleyConfiguration
    let logger: Logger
    let metrics = NodeMetrics()
    /// Only when tracing is on.
    let connectSpans: ConnectSpans?
    let state = Mutex(GatewayStateMachine())
    let work = WorkQueue(maximumRunning: Gateway.maximumRunningJobs)
    /// Each account's wish to be subscribed (`true`) or not, in the order the machine decided them.
    let subscriptions = BatchQueue<(userID: Int, subscribed: Bool)>()
    let sessionChecks = BatchQueue<(connection: UInt64, identity: TokenIdentity)>()
    let claims = BatchQueue<(userID: Int, connection: UInt64)>()
    let eventSyncs = BatchQueue<UInt64>()
    let handledEvents = HandledEvents()
    private let heartbeat: NodeHeartbeat
    /// New sockets per client address (`PARLEY_SOCKET_RATE`).
    private let newSockets: AddressRateLimiter

    /// Socket steps (token checks, claims, releases, delivery passes) running at once at most;
    /// more wait their turn in order. Far above what a node's PostgreSQL pool and Redis connection
    /// serve at once, so it bounds memory, not throughput.
    static let maximumRunningJobs = 4_096
    /// How many sockets are closed at a time while draining, and the pause between batches, so a
    /// node going away does not send all its clients to the others in one instant.
    static let drainBatch = 500
    static let drainPause: Duration = .milliseconds(50)
    /// The longest a drain waits for its sockets to finish their close handshakes.
    static let drainDeadline: Duration = .seconds(10)

    init(
        presence: ClusterPresence,
        subscriber: RedisSubscriber,
        courier: MessageCourier,
        authenticator: Authenticator,
        sessionChecksConnection: DedicatedConnection,
        readiness: Readiness,
        events: EventFeed,
        configuration: ParleyConfiguration,
        logger: Logger
    ) {
        self.presence = presence
        self.subscriber = subscriber
        self.courier = courier
        self.authenticator = authenticator
        self.sessionChecksConnection = sessionChecksConnection
        self.readiness = readiness
        self.events = events
        self.configuration = configuration
        self.logger = logger
        self.heartbeat = NodeHeartbeat(presence: presence, configuration: configuration, logger: logger)
        self.newSockets = AddressRateLimiter(limit: configuration.socketRatePerMinute, per: .seconds(60))
        self.connectSpans = configuration.otelEndpoint == nil ? nil : ConnectSpans()
    }

    /// The address the node's HTTP server listens on, for the node's card.
    func serverStarted(address: String) {
        heartbeat.serverStarted(address: configuration.advertiseAddress ?? address)
    }

    var isAcceptingSockets: Bool { !readiness.isDraining }

    /// Sockets that hold their account on this node.
    var liveSocketCount: Int { state.withLock { $0.liveCount } }

    // MARK: Sockets

    func socketOpened(_ socket: SocketHandle, token: String?, address: IPAddress?, acknowledges: Bool) {
        metrics.socketOpened()
        connectSpans?.opened(socket.id)
        guard newSockets.allow(address) else {
            metrics.connectRefused("rate_limited")
            logger.notice("Socket refused: its address opened more than PARLEY_SOCKET_RATE per minute", metadata: ["address": "\(address?.text ?? "?")"])
            socket.tryAgainLater()
            return
        }
        perform(state.withLock { $0.socketOpened(socket, acknowledges: acknowledges) }, token: token)
    }

    func socketAcknowledged(_ socket: SocketHandle, through seq: Int) {
        guard let userID = state.withLock({ $0.identity(of: socket.id)?.userID }) else { return }
        if courier.acknowledged(userID: userID, socket: socket, through: seq) {
            deliver(to: userID, via: socket.id)
        }
    }

    func socketClosed(_ socket: SocketHandle) {
        metrics.socketClosed()
        connectSpans?.closed(socket.id)
        var userID: Int?
        update { machine in
            userID = machine.identity(of: socket.id)?.userID
            return machine.socketClosed(socket.id)
        }
        if let userID { courier.socketClosed(userID: userID, socket: socket) }
    }

    /// Feeds the machine one event and performs what it decides.
    func update(_ event: (inout GatewayStateMachine) -> [GatewayStateMachine.Action]) {
        perform(state.withLock { event(&$0) })
    }

    /// ``update(_:)`` from inside a job: the event's first step that waits for PostgreSQL or Redis
    /// runs next in this job rather than in a new one, one task switch fewer.
    private func advance(_ event: (inout GatewayStateMachine) -> [GatewayStateMachine.Action]) async {
        if let next = start(state.withLock { event(&$0) }, token: nil) { await next() }
    }

    private func perform(_ actions: [GatewayStateMachine.Action], token: String? = nil) {
        if let first = start(actions, token: token) { work.submit(first) }
    }

    /// Performs at once the actions that need no waiting, and queues a job for each step that
    /// waits for PostgreSQL or Redis, except the first: that one it returns, for the caller to run.
    private func start(_ actions: [GatewayStateMachine.Action], token: String?) -> WorkQueue.Job? {
        var first: WorkQueue.Job?
        func step(_ job: @escaping WorkQueue.Job) {
            if first == nil { first = job } else { work.submit(job) }
        }
        for action in actions {
            switch action {
            case .authenticate(let connection):
                authenticate(connection, token: token)
            case .checkSession(let connection, let identity):
                checkSession(connection, identity: identity)
            case .subscribe(let userID):
                subscriptions.append((userID, true))
            case .unsubscribe(let userID):
                subscriptions.append((userID, false))
            case .claim(let connection, let userID):
                claims.append((userID, connection))
            case .syncEvents(let connection):
                eventSyncs.append(connection)
            case .verifySession(let connection, let userID):
                step { await self.verifySession(connection, userID: userID) }
            case .close(let connection, let reason):
                socket(connection)?.close(reason)
            case .goAway(let connection):
                socket(connection)?.goAway()
            case .tryAgainLater(let connection):
                socket(connection)?.tryAgainLater()
            case .release(let userID, let generation):
                step { await self.release(PresenceRelease(userID: userID, entry: .generation(generation))) }
            case .releaseClaim(let connection, let userID):
                step { await self.release(PresenceRelease(userID: userID, entry: .claim(connection: connection))) }
            case .deliver(let connection, let userID):
                deliver(to: userID, via: connection)
            }
        }
        return first
    }

    private func socket(_ connection: UInt64) -> SocketHandle? {
        state.withLock { $0.socket(of: connection) }
    }

    // MARK: Socket steps

    /// Checks the token's signature and claims at once, on the caller's thread (an HMAC needs no
    /// job); its session is checked with others in a batch.
    private func authenticate(_ connection: UInt64, token: String?) {
        do {
            let identity = try authenticator.verify(token)
            update { $0.authenticated(connection, as: identity) }
        } catch {
            metrics.connectRefused(error.closeReason.rawValue)
            update { $0.authenticationFailed(connection, reason: error.closeReason) }
        }
    }

    /// Closes the socket if its session was revoked between its check and its claim: asked only when
    /// a revocation of the account may have come meanwhile (``GatewayStateMachine/SessionCheck``).
    private func verifySession(_ connection: UInt64, userID: Int) async {
        guard let identity = state.withLock({ $0.identity(of: connection) }) else { return }
        do {
            if let ending = try await authenticator.endings(of: [identity])[identity.sessionID] {
                await advance { $0.sessionRevoked(connection, reason: ending.closeReason) }
            } else {
                await advance { $0.sessionVerified(connection) }
            }
        } catch {
            logger.warning("Cannot re-check a socket's session", metadata: ["user.id": "\(userID)", "error": "\(error)"])
        }
    }

    func release(_ release: PresenceRelease) async {
        do {
            try await presence.accounts.release(release)
        } catch {
            NodeMetrics.redisError("release")
            logger.notice("Cannot release presence; trying again at the next heartbeat", metadata: ["user.id": "\(release.userID)", "error": "\(error)"])
            state.withLock { $0.releaseFailed(release) }
        }
    }

    /// Starts a delivery pass to the socket, unless one runs for the account (it takes this socket
    /// next). A socket the pass finds on an ended session is checked and closed.
    private func deliver(to userID: Int, via connection: UInt64) {
        let recipient = state.withLock { $0.recipient(of: connection) }
        guard let recipient, let first = courier.request(userID: userID, via: recipient) else { return }
        work.submit {
            let ended = await self.courier.run(userID: userID, from: first)
            guard !ended.isEmpty else { return }
            let sockets = self.state.withLock { $0.identities(of: ended.map(\.id)) }
            await self.closeEndedSessions(of: sockets)
        }
    }

    // MARK: Subscriptions

    /// Sends the machine's subscription changes to Redis in batches, and tells it the outcome.
    private func runSubscriptions() async {
        await subscriptions.run(maximumBatch: .max) { wishes in
            // Only the latest wish per account counts, so a quick unsubscribe and subscribe can
            // never end unsubscribed.
            let latest = Dictionary(wishes.map { ($0.userID, $0.subscribed) }, uniquingKeysWith: { _, later in later })
            let subscribe = latest.filter(\.value).map(\.key)
            let unsubscribe = latest.filter { !$0.value }.map(\.key)
            if !unsubscribe.isEmpty {
                try? await subscriber.unsubscribe(unsubscribe.map(presence.keys.userChannel))
            }
            guard !subscribe.isEmpty else { return }
            do {
                try await subscriber.subscribe(subscribe.map(presence.keys.userChannel))
                for userID in subscribe { update { $0.subscribed(userID: userID) } }
            } catch {
                NodeMetrics.redisError("subscribe")
                logger.warning("Cannot subscribe", metadata: ["accounts": "\(subscribe.count)", "error": "\(error)"])
                for userID in subscribe { update { $0.redisFailed(userID: userID) } }
            }
        }
    }

    // MARK: Service

    /// Runs the node's long-lived loops — the work queue, subscriptions, account events, the
    /// subscriber's health, the heartbeat — until a graceful shutdown; then drains, stops and awaits
    /// them all, and only then leaves the cluster, so nothing this node started lands in Redis after
    /// it deregistered.
    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.work.run() }
            group.addTask { await self.runSubscriptions() }
            group.addTask { await self.courier.runAcknowledgements() }
            group.addTask { await self.runSessionChecks() }
            group.addTask { await self.runClaims() }
            group.addTask { await self.runEventSyncs() }
            group.addTask { await self.runAccountEvents() }
            group.addTask { await self.runSubscriberEvents() }
            group.addTask { await self.heartbeat.run(for: self) }
            try? await gracefulShutdown()
            await drain()
            work.finish()
            subscriptions.finish()
            sessionChecks.finish()
            claims.finish()
            eventSyncs.finish()
            courier.finish()
            handledEvents.finish()
            group.cancelAll()
        }
        await sessionChecksConnection.close()
        do {
            try await presence.registry.deregister()
            await events.record(ClusterEvent(kind: .nodeLeft, node: configuration.nodeID))
        } catch {
            logger.warning("Cannot deregister the node", metadata: ["error": "\(error)"])
        }
    }

    /// Graceful shutdown: `/ready` turns 503, sockets close with 1001 in batches.
    func drain() async {
        readiness.startDraining()
        // Beside the drain, not before it: a Redis that is down must not hold the sockets' close up.
        async let recorded: Void = events.record(ClusterEvent(kind: .nodeDraining, node: configuration.nodeID))
        let actions = state.withLock { $0.drain() }
        logger.notice("Draining", metadata: ["sockets": "\(actions.filter { if case .goAway = $0 { true } else { false } }.count)"])
        for batch in actions.chunked(by: Self.drainBatch) {
            perform(Array(batch))
            try? await Task.sleep(for: Self.drainPause)
        }
        let deadline = ContinuousClock.now + Self.drainDeadline
        while state.withLock({ !$0.connections.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        await recorded
    }
}
