import Foundation

/// Open sockets checked again: a kick can be lost (Redis unreachable while a login revoked the
/// session), and a token expires while its socket is open. PostgreSQL is the durable truth.
extension Gateway {
    /// How many sessions one check asks PostgreSQL about.
    static let sessionCheckBatch = 1_000

    /// Closes the sockets whose token expired, checked in memory; the machine looks at them only
    /// once the earliest expiry has passed.
    func closeExpiredSockets() {
        update { $0.tokensExpired(now: Date()) }
    }

    /// The backstop for kicks that never arrived: asks PostgreSQL about every live socket's session
    /// and closes those that ended. ``NodeHeartbeat`` calls it every few beats, and at the next beat
    /// after the node may have missed kicks. A revocation the revoking node could not send is
    /// announced when Redis returns (``AccountChannel/announceSessionsChangedLater(userID:)``), and
    /// handled by ``checkSessions(of:)`` at once.
    func sweepSessions() async {
        await closeEndedSessions(of: state.withLock { $0.sessionSweep() })
    }

    /// An account's sessions changed (`{p}sessions`): its sockets here are checked against
    /// PostgreSQL, so a revocation announced late still closes them.
    func checkSessions(of userID: Int) {
        let live = state.withLock { $0.identities(of: $0.liveConnections(userID: userID)) }
        guard !live.isEmpty else { return }
        work.submit { await self.closeEndedSessions(of: live) }
    }

    func closeEndedSessions(of sockets: [(connection: UInt64, identity: TokenIdentity)]) async {
        for batch in sockets.chunked(by: Self.sessionCheckBatch) {
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
