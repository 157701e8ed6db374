import Foundation
import Logging
import Synchronization

/// The node's life in the cluster, one beat per `PARLEY_HEARTBEAT`: it keeps the node's card in
/// the registry, applies the supersessions queued in its inbox (a lost kick message still closes
/// its socket), installs a generation epoch when Redis has none, re-registers the node's sockets
/// after Redis forgot them, retries failed releases, announces revocations Redis missed, clears
/// dead nodes, paces the gateway's checks of open sockets (token expiry, session sweep), ends the
/// subscriptions that outlived their sockets, and lets the session cache give back its expired
/// entries.
final class NodeHeartbeat: Sendable {
    /// Every socket's session is checked against PostgreSQL every this many heartbeats, and at the
    /// next one after the node may have missed kicks.
    static let sweepPeriod = 10

    private let presence: ClusterPresence
    private let configuration: ParleyConfiguration
    private let logger: Logger
    private let startedAt = Date()
    private let address = Mutex("")
    /// Yields once the HTTP server listens: the node registers itself with its address only then.
    private let listening: AsyncStream<Void>
    private let listened: AsyncStream<Void>.Continuation

    init(presence: ClusterPresence, configuration: ParleyConfiguration, logger: Logger) {
        self.presence = presence
        self.configuration = configuration
        self.logger = logger
        (listening, listened) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func serverStarted(address: String) {
        self.address.withLock { $0 = address }
        listened.yield()
        listened.finish()
    }

    /// What the heartbeat remembers from one beat to the next.
    private struct Registration {
        /// A heartbeat has succeeded: Redis knew this node once.
        var isRegistered = false
        /// Redis forgot the node and its sockets are not all back yet: tried at every beat until done.
        var needsRestore = false
        var beatsSinceSweep = 0
    }

    /// Beats until cancelled or a graceful shutdown begins.
    func run(for gateway: Gateway) async {
        for await _ in listening { break }
        var registration = Registration()
        var previous = ContinuousClock.now - configuration.heartbeat
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let start = ContinuousClock.now
            gateway.metrics.heartbeatLagged(start - previous - configuration.heartbeat)
            previous = start
            await beat(&registration, gateway: gateway)
            gateway.closeExpiredSockets()
            gateway.update { $0.subscriptionsAged() }
            gateway.authenticator.cache.dropExpired()
            registration.beatsSinceSweep += 1
            if registration.beatsSinceSweep >= Self.sweepPeriod || gateway.state.withLock({ $0.isSessionSweepDue }) {
                registration.beatsSinceSweep = 0
                await gateway.sweepSessions()
            }
            gateway.metrics.heartbeatDuration.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
            gateway.metrics.accountsOnline.record(gateway.liveSocketCount)
            try? await Task.sleep(for: configuration.heartbeat)
        }
    }

    private func card(_ gateway: Gateway) -> NodeCard {
        NodeCard(
            id: configuration.nodeID, address: address.withLock { $0 }, version: configuration.version,
            startedAt: startedAt, lastSeen: Date(), connections: gateway.liveSocketCount, draining: gateway.readiness.isDraining
        )
    }

    private func beat(_ registration: inout Registration, gateway: Gateway) async {
        do {
            let beat = try await presence.registry.heartbeat(card: card(gateway))
            beat.supersessions.forEach(gateway.apply)
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
            if !registration.isRegistered {
                await gateway.events.record(ClusterEvent(kind: .nodeJoined, node: configuration.nodeID, detail: card(gateway).address))
            }
            registration.isRegistered = true
            if registration.needsRestore {
                try await reregister(gateway)
                registration.needsRestore = false
            }
            for release in gateway.state.withLock({ $0.takeFailedReleases() }) { await gateway.release(release) }
            await presence.accounts.announcePendingSessionChanges()
            for node in try await presence.registry.reapDeadNodes(now: beat.redisTimeMilliseconds) {
                logger.notice("Cleared a dead node's presence", metadata: ["dead.node": "\(node)"])
                await gateway.events.record(ClusterEvent(kind: .nodeReaped, node: node, detail: "reaped by \(configuration.nodeID)"))
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
    private func reregister(_ gateway: Gateway) async throws {
        let sockets = gateway.state.withLock { state in
            state.mayHaveMissedKicks()
            return state.liveSockets
        }
        logger.notice("Redis forgot this node; registering its sockets again", metadata: ["sockets": "\(sockets.count)"])
        let superseded = try await presence.registry.restore(sockets.map { ($0.connection, $0.userID, $0.generation, $0.since) })
        superseded.forEach(gateway.apply)
        // A socket that closed while the restore ran was put back with the rest: give its entry back.
        let closed = gateway.state.withLock { state in sockets.filter { !state.isStillLive($0) } }
        for socket in closed { await gateway.release(PresenceRelease(userID: socket.userID, entry: .generation(socket.generation))) }
        if !superseded.isEmpty {
            logger.notice("Closed sockets superseded while Redis had forgotten this node", metadata: ["sockets": "\(superseded.count)"])
        }
    }
}
