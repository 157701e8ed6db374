/// Checks a token the same way for HTTP and for sockets: the signature and claims, then the
/// session and the user in PostgreSQL (API.md §2).
public struct Authenticator: Sendable {
    /// Why a token does not let its bearer in.
    public enum Refusal: Error, Sendable, Equatable {
        case noToken
        case invalid
        case expired
        case userMissing
        case userDisabled
    }

    let tokens: TokenAuthority
    let sessions: SessionStore

    public init(tokens: TokenAuthority, sessions: SessionStore) {
        self.tokens = tokens
        self.sessions = sessions
    }

    /// The identity behind `token`; throws a ``Refusal``, or the database's error when it cannot
    /// be asked.
    public func authenticate(_ token: String?) async throws -> TokenIdentity {
        guard let token, !token.isEmpty else { throw Refusal.noToken }
        let identity: TokenIdentity
        do {
            identity = try await tokens.verify(token)
        } catch .expired {
            throw Refusal.expired
        } catch .invalid {
            throw Refusal.invalid
        }
        try await check(identity)
        return identity
    }

    /// Whether the session is still current and the user still enabled.
    public func check(_ identity: TokenIdentity) async throws {
        switch try await sessions.state(sessionID: identity.sessionID, userID: identity.userID) {
        case .active: return
        case .invalid: throw Refusal.invalid
        case .userMissing: throw Refusal.userMissing
        case .userDisabled: throw Refusal.userDisabled
        }
    }
}
