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
/// Four long-lived tasks serve all sockets together — the subscription changes, the account events
/// from Redis, the subscriber's health and the heartbeat — so the work per socket is only its
/// handlers' state.
public final class Gateway: SocketLifecycleDelegate, Service {
    private struct State {
        var machine = GatewayStateMachine()
        var sockets: [UInt64: SocketHandle] = [:]
        /// When each live socket took its account (ms since 1970), for presence and re-registration.
        var liveSince: [UInt64: Int64] = [:]
        /// The subscription each account should have, not yet sent to Redis.
        var pendingSubscriptions: [Int: Bool] = [:]
        /// Accounts whose messages should go to their socket as soon as it is live.
        var deliveryOnLive: Set<Int> = []
        /// The identity each socket authenticated as, until it closes: its session is checked again
        /// after the claim and at every sweep.
        var identities: [UInt64: TokenIdentity] = [:]
        /// No token of the sockets here expires before this: the heartbeat looks at them only then.
        var earliestExpiry = Date.distantFuture
        /// Presence entries Redis could not release, tried again at every heartbeat: an entry left
        /// behind names a live node, so no reaper would ever clear it.
        var failedReleases: Set<Release> = []
        /// This node may have missed kicks (its subscriber reconnected, or Redis forgot the node):
        /// the next heartbeat sweeps every socket's session instead of waiting for its turn.
        var isSweepDue = false

        /// Each of `connections` with the identity it authenticated as (those that have one).
        func identified(_ connections: [UInt64]) -> [(connection: UInt64, identity: TokenIdentity)] {
            connections.compactMap { connection in identities[connection].map { (connection, $0) } }
        }
    }

    struct Release: Hashable {
        var userID: Int
        var generation: Int64
    }

    /// Releases kept for another try at most; past that the oldest are let go (the account's next
    /// claim replaces its entry anyway).
    static let failedReleaseCapacity = 100_000

    let presence: ClusterPresence
    let subscriber: RedisSubscriber
    let courier: MessageCourier
    let authenticator: Authenticator
    let readiness: Readiness
    let configuration: ParleyConfiguration
    let logger: Logger
    let metrics = NodeMetrics()
    /// New sockets per client address (`PARLEY_SOCKET_RATE`).
    private let newSockets: AddressRateLimiter
    private let state = Mutex(State())
    private let startedAt = Date()
    private let address = Mutex("")
    private let subscriptionSignal: AsyncStream<Void>.Continuation
    private let subscriptionSignals: AsyncStream<Void>
    /// Yields once the HTTP server listens: the node registers itself with its address only then.
    private let serverListening: AsyncStream<Void>.Continuation
    private let serverListeningSignal: AsyncStream<Void>

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
        readiness: Readiness,
        configuration: ParleyConfiguration,
        logger: Logger
    ) {
        self.presence = presence
        self.subscriber = subscriber
        self.courier = courier
        self.authenticator = authenticator
        self.readiness = readiness
        self.configuration = configuration
        self.logger = logger
        self.newSockets = AddressRateLimiter(limit: configuration.socketRatePerMinute, per: .seconds(60))
        (subscriptionSignals, subscriptionSignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (serverListeningSignal, serverListening) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The address the node's HTTP server listens on, for the node's card.
    public func serverStarted(address: String) {
        self.address.withLock { $0 = configuration.advertiseAddress ?? address }
        serverListening.yield()
        serverListening.finish()
    }

    public var isAcceptingSockets: Bool { !readiness.isDraining }

    /// Sockets that hold their account on this node.
    public var liveSocketCount: Int { state.withLock { $0.machine.liveCount } }

    // MARK: Sockets

    public func socketOpened(_ socket: SocketHandle, token: String?, address: IPAddress?) {
        metrics.sockets.increment()
        guard newSockets.allow(address) else {
            metrics.connectRefused("rate_limited")
            logger.notice("Socket refused: its address opened more than PARLEY_SOCKET_RATE per minute", metadata: ["address": "\(address?.text ?? "?")"])
            socket.tryAgainLater()
            return
        }
        let actions = state.withLock { state in
            state.sockets[socket.id] = socket
            return state.machine.socketOpened(socket.id)
        }
        perform(actions, token: token)
    }

    public func socketClosed(_ socket: SocketHandle) {
        metrics.sockets.decrement()
        let actions = state.withLock { state in
            state.sockets[socket.id] = nil
            state.liveSince[socket.id] = nil
            state.identities[socket.id] = nil
            let actions = state.machine.socketClosed(socket.id)
            state.deliveryOnLive = state.deliveryOnLive.filter { state.machine.hasSockets(userID: $0) }
            return actions
        }
        perform(actions)
    }

    private func update(_ event: (inout GatewayStateMachine) -> [GatewayStateMachine.Action]) {
        perform(state.withLock { event(&$0.machine) })
    }

    private func perform(_ actions: [GatewayStateMachine.Action], token: String? = nil) {
        for action in actions {
            switch action {
            case .authenticate(let connection):
                Task { await self.authenticate(connection, token: token) }
            case .subscribe(let userID):
                requestSubscription(userID, subscribed: true)
            case .unsubscribe(let userID):
                requestSubscription(userID, subscribed: false)
            case .claim(let connection, let userID):
                Task { await self.claim(connection, userID: userID) }
            case .verifySession(let connection, let userID):
                Task { await self.verifySession(connection, userID: userID) }
            case .close(let connection, let reason):
                socket(connection)?.close(reason)
            case .goAway(let connection):
                socket(connection)?.goAway()
            case .tryAgainLater(let connection):
                socket(connection)?.tryAgainLater()
            case .release(let userID, let generation):
                Task { await self.release(userID: userID, generation: generation) }
            }
        }
    }

    private func socket(_ connection: UInt64) -> SocketHandle? {
        state.withLock { $0.sockets[connection] }
    }

    private func liveSockets(of userID: Int) -> [SocketHandle] {
        state.withLock { state in
            state.machine.liveConnections(userID: userID).compactMap { state.sockets[$0] }
        }
    }

    private func authenticate(_ connection: UInt64, token: String?) async {
        do {
            let identity = try await authenticator.authenticate(token)
            perform(state.withLock { state in
                // A socket that closed while its token was checked leaves nothing behind.
                guard state.sockets[connection] != nil else { return [] }
                state.identities[connection] = identity
                state.earliestExpiry = min(state.earliestExpiry, identity.expiresAt)
                return state.machine.authenticated(connection, userID: identity.userID)
            })
        } catch let refusal as Authenticator.Refusal {
            metrics.connectRefused(refusal.closeReason.rawValue)
            update { $0.authenticationFailed(connection, reason: refusal.closeReason) }
        } catch {
            metrics.connectRefused("postgresql_unavailable")
            logger.warning("Cannot check a socket's token", metadata: ["error": "\(error)"])
            update { $0.authenticationUnavailable(connection) }
        }
    }

    private func claim(_ connection: UInt64, userID: Int) async {
        do {
            let claim = try await presence.accounts.claim(userID: userID, connection: connection)
            if claim.tookOver { NodeMetrics.kickSent(.kicked) }
            state.withLock { state in
                // A socket closed while claiming has no live-since; the delivery its claim took
                // over stays with the account, for its next socket here.
                if state.sockets[connection] != nil {
                    state.liveSince[connection] = Int64(Date().timeIntervalSince1970 * 1000)
                }
                if claim.deliveryRequested { state.deliveryOnLive.insert(userID) }
            }
            update { $0.claimed(connection, userID: userID, generation: claim.generation) }
            metrics.connectAccepted()
        } catch {
            NodeMetrics.redisError("claim")
            metrics.connectRefused("redis_unavailable")
            logger.warning("Cannot claim an account in Redis", metadata: ["user.id": "\(userID)", "error": "\(error)"])
            update { $0.redisFailed(userID: userID) }
        }
    }

    /// Closes the socket if its session was revoked between its authentication and its claim.
    private func verifySession(_ connection: UInt64, userID: Int) async {
        guard let identity = state.withLock({ $0.identities[connection] }) else { return }
        do {
            try await authenticator.check(identity)
            // The socket is the account's now: if its client asked for its messages meanwhile, send them.
            if state.withLock({ $0.deliveryOnLive.remove(userID) }) != nil, let socket = socket(connection) {
                courier.deliver(to: userID, via: socket)
            }
        } catch let refusal as Authenticator.Refusal {
            update { $0.sessionRevoked(connection, reason: refusal.closeReason) }
        } catch {
            logger.warning("Cannot re-check a socket's session", metadata: ["user.id": "\(userID)", "error": "\(error)"])
        }
    }

    private func release(userID: Int, generation: Int64) async {
        do {
            try await presence.accounts.release(userID: userID, generation: generation)
        } catch {
            NodeMetrics.redisError("release")
            logger.notice("Cannot release presence; trying again at the next heartbeat", metadata: ["user.id": "\(userID)", "error": "\(error)"])
            state.withLock { state in
                if state.failedReleases.count >= Self.failedReleaseCapacity, let any = state.failedReleases.first {
                    state.failedReleases.remove(any)
                }
                state.failedReleases.insert(Release(userID: userID, generation: generation))
            }
        }
    }

    private func retryFailedReleases() async {
        let releases = state.withLock { state in
            defer { state.failedReleases = [] }
            return state.failedReleases
        }
        for release in releases { await self.release(userID: release.userID, generation: release.generation) }
    }

    // MARK: Subscriptions

    private func requestSubscription(_ userID: Int, subscribed: Bool) {
        state.withLock { $0.pendingSubscriptions[userID] = subscribed }
        subscriptionSignal.yield()
    }

    /// Applies subscription changes in batches, in the order the state machine decided them: only
    /// the latest wish per account counts, so a quick unsubscribe/subscribe can never end
    /// unsubscribed.
    private func runSubscriptions() async {
        for await _ in subscriptionSignals {
            let pending = state.withLock { state in
                defer { state.pendingSubscriptions = [:] }
                return state.pendingSubscriptions
            }
            let subscribe = pending.filter(\.value).map(\.key)
            let unsubscribe = pending.filter { !$0.value }.map(\.key)
            if !unsubscribe.isEmpty {
                try? await subscriber.unsubscribe(unsubscribe.map(presence.keys.userChannel))
            }
            guard !subscribe.isEmpty else { continue }
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

    // MARK: Account events

    private func runAccountEvents() async {
        let decoder = JSONDecoder()
        var dropped = subscriber.droppedMessageCount
        for await message in subscriber.messages {
            if subscriber.droppedMessageCount != dropped {
                // Some invalidations may be among the lost messages.
                dropped = subscriber.droppedMessageCount
                authenticator.cache.forgetAll()
            }
            if message.channel == presence.keys.sessionsChannel {
                if let userID = Int(String(buffer: message.payload)) {
                    authenticator.cache.forget(userID: userID)
                    checkSessions(of: userID)
                }
                continue
            }
            guard let userID = presence.keys.userID(ofChannel: message.channel) else { continue }
            if let entry = Supersession(wire: message.payload) {
                applySupersession(userID: entry.userID, generation: entry.generation, reason: entry.reason, sentMilliseconds: entry.sent)
                continue
            }
            guard let event = try? decoder.decode(UserEvent.self, from: Data(buffer: message.payload)) else { continue }
            if let frame = event.pushedFrame {
                for socket in liveSockets(of: userID) { socket.send(frame) }
            } else if event.type == .deliver {
                deliver(to: userID)
            }
        }
    }

    /// Closes the account's older sockets; counts the kicks and, when the event carries its publish
    /// time, how long it took to get here.
    private func applySupersession(userID: Int, generation: Int64, reason: SocketCloseReason, sentMilliseconds: Int64?) {
        let actions = state.withLock { $0.machine.superseded(userID: userID, generation: generation, reason: reason) }
        let closed = actions.filter { if case .close = $0 { true } else { false } }.count
        if closed > 0 {
            for _ in 0..<closed { metrics.kickReceived(reason) }
            if let sentMilliseconds {
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                metrics.kickDelivery.recordMilliseconds(max(0, now - sentMilliseconds))
            }
        }
        perform(actions)
    }

    /// Sends the account's waiting messages to its live socket here, or to the socket still
    /// connecting once it is live.
    private func deliver(to userID: Int) {
        let sockets = state.withLock { state -> [SocketHandle] in
            let live = state.machine.liveConnections(userID: userID).compactMap { state.sockets[$0] }
            if live.isEmpty, state.machine.isConnecting(userID: userID) { state.deliveryOnLive.insert(userID) }
            return live
        }
        for socket in sockets { courier.deliver(to: userID, via: socket) }
    }

    /// Uses the session cache only while invalidations can reach it, and counts the subscriber's
    /// reconnects and failed probes.
    private func runSubscriberEvents() async {
        await trustSessionCacheOnceSubscribed()
        for await event in subscriber.events {
            switch event {
            case .connected:
                await trustSessionCacheOnceSubscribed()
            case .reconnected:
                metrics.subscriberReconnects.increment()
                state.withLock { $0.isSweepDue = true }
                await trustSessionCacheOnceSubscribed()
            case .disconnected:
                authenticator.cache.distrust()
            case .probeFailed:
                metrics.probeFailures.increment()
                state.withLock { $0.isSweepDue = true }
                authenticator.cache.distrust()
            }
        }
    }

    /// Subscribes to the invalidation channel (again, on a new connection) and, once Redis
    /// confirmed it, lets the ``SessionCache`` be used.
    private func trustSessionCacheOnceSubscribed() async {
        do {
            try await subscriber.subscribe([presence.keys.sessionsChannel])
            authenticator.cache.trust()
        } catch {
            // Still desired: subscribed on the next connection, which the next event reports.
            logger.notice("Session cache off until the invalidation channel is subscribed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Heartbeat

    /// What the heartbeat remembers from one beat to the next.
    private struct Registration {
        /// A heartbeat has succeeded: Redis knew this node once.
        var isRegistered = false
        /// Redis forgot the node and its sockets are not all back yet: tried at every beat until done.
        var needsRestore = false
    }

    private func runHeartbeat() async {
        for await _ in serverListeningSignal { break }
        var registration = Registration()
        var previous = ContinuousClock.now - configuration.heartbeat
        var beatsSinceSweep = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let start = ContinuousClock.now
            metrics.heartbeatLag.record(Double((start - previous - configuration.heartbeat).nanoseconds) / 1e9)
            previous = start
            await beat(&registration)
            closeExpiredSockets()
            beatsSinceSweep += 1
            if beatsSinceSweep >= Self.sweepPeriod || state.withLock({ $0.isSweepDue }) {
                state.withLock { $0.isSweepDue = false }
                beatsSinceSweep = 0
                await sweepSessions()
            }
            metrics.heartbeatDuration.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
            metrics.accountsOnline.record(liveSocketCount)
            try? await Task.sleep(for: configuration.heartbeat)
        }
    }

    private func card() -> NodeCard {
        NodeCard(
            id: configuration.nodeID, address: address.withLock { $0 }, version: configuration.version,
            startedAt: startedAt, lastSeen: Date(), connections: liveSocketCount, draining: readiness.isDraining
        )
    }

    /// One heartbeat: refresh the node's card, apply the supersessions queued for it (a lost kick
    /// message still closes its socket), re-register after Redis lost its data, retry failed
    /// releases, clear dead nodes.
    private func beat(_ registration: inout Registration) async {
        do {
            let beat = try await presence.registry.heartbeat(card: card())
            for entry in beat.supersessions {
                applySupersession(userID: entry.userID, generation: entry.generation, reason: entry.reason, sentMilliseconds: nil)
            }
            if !beat.hasEpoch {
                // Redis restarted, or a replica took over: a higher epoch before anything claims
                // (see ClusterScripts), unless a claim installed one already.
                let epoch = try await presence.epochs.installNewEpoch()
                logger.notice("Redis had no generation epoch; installed one", metadata: ["epoch": "\(epoch)"])
            }
            if !registration.isRegistered, let started = presence.clock.redisMilliseconds(at: startedAt) {
                let cleared = try await presence.registry.clearPreviousProcess(started: started)
                if cleared > 0 {
                    logger.notice("Cleared presence left by an earlier process with this node's id", metadata: ["entries": "\(cleared)"])
                }
            }
            if registration.isRegistered, !beat.wasRegistered { registration.needsRestore = true }
            registration.isRegistered = true
            if registration.needsRestore {
                try await reregister()
                registration.needsRestore = false
            }
            await retryFailedReleases()
            await presence.accounts.announcePendingSessionChanges()
            for node in try await presence.registry.reapDeadNodes(now: beat.redisTimeMilliseconds) {
                logger.notice("Cleared a dead node's presence", metadata: ["dead.node": "\(node)"])
            }
        } catch {
            NodeMetrics.redisError("heartbeat")
            logger.warning("Heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    /// Puts the node's live sockets back into presence after Redis forgot them (it restarted empty,
    /// or the node was away past the TTL and was reaped). A socket whose account a newer generation
    /// took meanwhile — a socket elsewhere, a login, a logout — closes now: its kick was published
    /// while this node could not hear it, and no inbox kept it.
    private func reregister() async throws {
        let sockets = state.withLock { state in
            state.machine.liveSockets.map { ($0.connection, $0.userID, $0.generation, state.liveSince[$0.connection] ?? 0) }
        }
        logger.notice("Redis forgot this node; registering its sockets again", metadata: ["sockets": "\(sockets.count)"])
        state.withLock { $0.isSweepDue = true }
        let superseded = try await presence.registry.restore(sockets)
        for entry in superseded {
            applySupersession(userID: entry.userID, generation: entry.generation, reason: entry.reason, sentMilliseconds: nil)
        }
        // A socket that closed while the restore ran was put back with the rest: give its entry back.
        let closed = state.withLock { state in
            sockets.filter { socket in state.machine.phases[socket.0] != .live(userID: socket.1, generation: socket.2) }
        }
        for (_, userID, generation, _) in closed { await release(userID: userID, generation: generation) }
        if !superseded.isEmpty {
            logger.notice("Closed sockets superseded while Redis had forgotten this node", metadata: ["sockets": "\(superseded.count)"])
        }
    }

    /// How many sessions one sweep query asks about.
    static let sweepBatch = 1_000
    /// Every socket's session is checked against PostgreSQL every this many heartbeats, and at the
    /// next one after the node may have missed kicks.
    static let sweepPeriod = 10

    /// Closes the sockets whose token expired, checked in memory at every heartbeat; the sockets are
    /// looked at only once the earliest expiry has passed, so an idle node does no work per socket.
    private func closeExpiredSockets() {
        let now = Date()
        let expired = state.withLock { state -> [UInt64] in
            guard state.earliestExpiry <= now else { return [] }
            var expired: [UInt64] = []
            var earliest = Date.distantFuture
            for (connection, identity) in state.identities {
                if identity.expiresAt <= now { expired.append(connection) } else { earliest = min(earliest, identity.expiresAt) }
            }
            state.earliestExpiry = earliest
            return expired
        }
        for connection in expired { update { $0.sessionRevoked(connection, reason: .tokenExpired) } }
    }

    /// The backstop for kicks that never arrived: asks PostgreSQL, the durable truth, about every
    /// live socket's session — every ``sweepPeriod`` heartbeats, and at the next one after the node
    /// may have missed kicks (its subscriber reconnected, Redis forgot it) — and closes those that
    /// ended. A revocation the revoking node could not send is announced when Redis returns
    /// (``AccountChannel/announceSessionsChangedLater(userID:)``), and handled by
    /// ``checkSessions(of:)`` at once.
    private func sweepSessions() async {
        let live = state.withLock { state in
            state.identified(state.machine.liveSockets.map(\.connection))
        }
        await closeEndedSessions(of: live)
    }

    /// An account's sessions changed (`{p}sessions`): its sockets here are checked against
    /// PostgreSQL, so a revocation announced late still closes them.
    private func checkSessions(of userID: Int) {
        let live = state.withLock { state in
            state.identified(state.machine.liveConnections(userID: userID))
        }
        guard !live.isEmpty else { return }
        Task { await self.closeEndedSessions(of: live) }
    }

    private func closeEndedSessions(of sockets: [(connection: UInt64, identity: TokenIdentity)]) async {
        for batch in sockets.chunked(by: Self.sweepBatch) {
            let endings: [UUID: SessionEnding]
            do {
                endings = try await authenticator.endings(of: batch.map(\.identity))
            } catch {
                logger.notice("Cannot check the sockets' sessions", metadata: ["error": "\(error)"])
                return
            }
            for (connection, identity) in batch {
                guard let ending = endings[identity.sessionID] else { continue }
                logger.info("Closing a socket whose session ended", metadata: ["user.id": "\(identity.userID)", "ending": "\(ending)"])
                update { $0.sessionRevoked(connection, reason: ending.closeReason) }
            }
        }
    }

    // MARK: Service

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runSubscriptions() }
            group.addTask { await self.runAccountEvents() }
            group.addTask { await self.runHeartbeat() }
            group.addTask { await self.runSubscriberEvents() }
            try? await gracefulShutdown()
            await drain()
            group.cancelAll()
            subscriptionSignal.finish()
        }
    }

    /// Graceful shutdown: `/ready` turns 503, sockets close with 1001 in batches, presence and the
    /// node's registry entry go.
    func drain() async {
        readiness.startDraining()
        let actions = state.withLock { $0.machine.drain() }
        logger.notice("Draining", metadata: ["sockets": "\(actions.filter { if case .goAway = $0 { true } else { false } }.count)"])
        for batch in actions.chunked(by: Self.drainBatch) {
            perform(Array(batch))
            try? await Task.sleep(for: Self.drainPause)
        }
        let deadline = ContinuousClock.now + Self.drainDeadline
        while state.withLock({ !$0.sockets.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        do {
            try await presence.registry.deregister()
        } catch {
            logger.warning("Cannot deregister the node", metadata: ["error": "\(error)"])
        }
    }
}

extension SessionEnding {
    var closeReason: SocketCloseReason {
        switch self {
        case .revoked(.superseded): .kicked
        case .revoked(.loggedOut): .loggedOut
        case .revoked(.disabled), .userDisabled: .userDisabled
        case .expired: .tokenExpired
        case .unknown: .tokenInvalid
        }
    }
}

extension Authenticator.Refusal {
    var closeReason: SocketCloseReason {
        switch self {
        case .noToken: .unauthenticated
        case .invalid: .tokenInvalid
        case .expired: .tokenExpired
        case .userMissing: .userNotFound
        case .userDisabled: .userDisabled
        }
    }
}
