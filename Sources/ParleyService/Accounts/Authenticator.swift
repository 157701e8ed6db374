import Foundation

/// Checks a token the same way for HTTP and for sockets: the signature and claims, then the
/// session and the user in PostgreSQL (API.md §2), or in the ``SessionCache`` when PostgreSQL
/// called the session active a moment ago.
struct Authenticator: Sendable {
    /// Why a token does not let its bearer in.
    enum Refusal: Error, Sendable, Equatable {
        case noToken
        case invalid
        case expired
        case userMissing
        case userDisabled
    }

    let tokens: TokenAuthority
    let sessions: SessionStore
    let cache: SessionCache

    init(tokens: TokenAuthority, sessions: SessionStore, cache: SessionCache = SessionCache()) {
        self.tokens = tokens
        self.sessions = sessions
        self.cache = cache
    }

    /// The identity behind `token`; throws a ``Refusal``, or the database's error when it cannot
    /// be asked.
    func authenticate(_ token: String?) async throws -> TokenIdentity {
        let identity = try verify(token)
        if cache.isActive(userID: identity.userID, sessionID: identity.sessionID) { return identity }
        let ticket = cache.ticket()
        try await check(identity)
        if let ticket { cache.store(userID: identity.userID, sessionID: identity.sessionID, ticket: ticket) }
        return identity
    }

    /// The identity `token` names by its signature and claims alone; its session is not checked.
    func verify(_ token: String?) throws(Refusal) -> TokenIdentity {
        guard let token, !token.isEmpty else { throw .noToken }
        do {
            return try tokens.verify(token)
        } catch {
            switch error {
            case .expired: throw .expired
            case .invalid: throw .invalid
            }
        }
    }

    /// Whether the session is still current and the user still enabled, asking PostgreSQL.
    func check(_ identity: TokenIdentity) async throws {
        if let refusal = try await refusals(of: [identity])[identity.sessionID] { throw refusal }
    }

    /// Why each identity's session or user lets nobody in, asking PostgreSQL once for all of them
    /// (never the cache), through `runner` if given; the identities still valid are not in the answer.
    func refusals(of identities: [TokenIdentity], on runner: (any QueryRunner)? = nil) async throws -> [UUID: Refusal] {
        let states = try await sessions.states(of: identities, on: runner)
        var refusals: [UUID: Refusal] = [:]
        for identity in identities {
            switch states[identity.sessionID] {
            case .active: break
            case .invalid: refusals[identity.sessionID] = .invalid
            case .userMissing, nil: refusals[identity.sessionID] = .userMissing
            case .userDisabled: refusals[identity.sessionID] = .userDisabled
            }
        }
        return refusals
    }

    /// Why each of the sessions behind `identities` may no longer be used, asking PostgreSQL (never
    /// the cache); the identities still valid are not in the answer.
    func endings(of identities: [TokenIdentity], now: Date = Date()) async throws -> [UUID: SessionEnding] {
        var endings = try await sessions.endings(of: identities.map(\.sessionID))
        for identity in identities where identity.expiresAt <= now { endings[identity.sessionID] = .expired }
        return endings
    }

    /// The account's sessions were revoked (in PostgreSQL, already): this node stops trusting what
    /// it cached at once; the supersede script tells the other nodes.
    func sessionsRevoked(userID: Int) {
        cache.forget(userID: userID)
    }
}
