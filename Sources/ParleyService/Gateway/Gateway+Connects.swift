import Foundation
import NIORedis

/// The connect steps the sockets that arrive together share: one session query, one claim script
/// and one subscriber sync for each batch, however many sockets are in it. Each loop runs one
/// batch at a time; what arrives meanwhile is the next batch.
extension Gateway {
    /// Sockets per session query and per claim script at most.
    static let connectBatch = 500

    /// Checks a socket's session on the caller's thread when the ``SessionCache`` holds an answer
    /// the node has been able to hear revocations of since (a reconnect, a takeover on the node that
    /// checked the session a moment ago); else it waits for the next batch query.
    func checkSession(_ connection: UInt64, identity: TokenIdentity) {
        if let confirmation = authenticator.cache.activeConfirmation(userID: identity.userID, sessionID: identity.sessionID) {
            update { $0.sessionActive(connection, confirmation: confirmation) }
        } else {
            sessionChecks.append((connection, identity))
        }
    }

    /// Checks the sessions the cache could not answer, one query per batch on the gateway's own
    /// connection (``DedicatedConnection``), and keeps the answers for the next connects.
    func runSessionChecks() async {
        await sessionChecks.run(maximumBatch: Self.connectBatch) { batch in
            await traced("socket connect: session checks", batch.map(\.connection)) { await checkSessions(batch) }
        }
    }

    private func checkSessions(_ batch: [(connection: UInt64, identity: TokenIdentity)]) async {
        // Taken before asking: a revocation the answer does not show is announced after this.
        let confirmation = try? await subscriber.confirmation(of: presence.keys.sessionsChannel)
        let ticket = authenticator.cache.ticket(confirmation: confirmation)
        do {
            let refusals = try await authenticator.refusals(of: batch.map(\.identity), on: sessionChecksConnection)
            for refusal in refusals.values { metrics.connectRefused(refusal.closeReason.rawValue) }
            if let ticket {
                for identity in batch.map(\.identity) where refusals[identity.sessionID] == nil {
                    authenticator.cache.store(userID: identity.userID, sessionID: identity.sessionID, ticket: ticket)
                }
            }
            update { machine in
                batch.flatMap { socket in
                    if let refusal = refusals[socket.identity.sessionID] {
                        return machine.authenticationFailed(socket.connection, reason: refusal.closeReason)
                    }
                    return machine.sessionActive(socket.connection, confirmation: confirmation)
                }
            }
        } catch {
            for _ in batch { metrics.connectRefused("postgresql_unavailable") }
            logger.warning("Cannot check the sessions of connecting sockets", metadata: ["sockets": "\(batch.count)", "error": "\(error)"])
            update { machine in batch.flatMap { machine.authenticationUnavailable($0.connection) } }
        }
    }

    /// Claims the accounts of the sockets ready to take them, one script call per batch.
    func runClaims() async {
        await claims.run(maximumBatch: Self.connectBatch) { batch in
            await traced("socket connect: claims", batch.map(\.connection)) { await claim(batch) }
        }
    }

    private func claim(_ batch: [(userID: Int, connection: UInt64)]) async {
        do {
            let claimed = try await presence.accounts.claim(batch)
            let since = Int64(Date().timeIntervalSince1970 * 1000)
            for (socket, claim) in zip(batch, claimed) {
                if claim.tookOver { NodeMetrics.kickSent(.kicked) }
                metrics.connectAccepted()
                connectSpans?.accepted(socket.connection, userID: socket.userID)
            }
            update { machine in
                zip(batch, claimed).flatMap { socket, claim in
                    machine.claimed(
                        socket.connection, userID: socket.userID, generation: claim.generation,
                        deliveryRequested: claim.deliveryRequested, since: since
                    )
                }
            }
        } catch {
            NodeMetrics.redisError("claim")
            for _ in batch { metrics.connectRefused("redis_unavailable") }
            logger.warning("Cannot claim accounts in Redis", metadata: ["sockets": "\(batch.count)", "error": "\(error)"])
            // An error reply (LATE, NOEPOCH) is a refusal: the script changed nothing.
            let mayHaveRun = !(error is RedisError)
            update { machine in
                batch.flatMap { machine.claimFailed($0.connection, userID: $0.userID, mayHaveRun: mayHaveRun) }
            }
        }
    }

    /// Runs one batch step in a span linked to its sockets' connect spans, when tracing is on.
    private func traced(_ name: String, _ connections: @autoclosure () -> [UInt64], _ step: () async -> Void) async {
        guard let connectSpans else { return await step() }
        await connectSpans.batch(name, of: connections(), step)
    }

    /// Verifies the sessions of freshly claimed sockets without asking PostgreSQL again: once the
    /// subscriber has synced and the account events up to that point are handled, every revocation
    /// announced before the claims has marked its sockets doubtful (``GatewayStateMachine/SessionCheck``).
    func runEventSyncs() async {
        await eventSyncs.run(maximumBatch: .max) { batch in
            var point: RedisSubscriber.SyncPoint?
            do {
                point = try await subscriber.sync()
            } catch {
                logger.notice("Cannot sync the subscriber; checking new sockets in PostgreSQL", metadata: ["error": "\(error)"])
            }
            let isHandled = if let point { await handledEvents.wait(until: point.lastSequence) } else { false }
            update { machine in
                machine.eventsSynced(batch) { confirmation in isHandled && point?.isContinuous(since: confirmation) == true }
            }
        }
    }
}
