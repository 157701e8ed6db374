import Foundation
import HTTPTypes

/// Sliding sessions (docs/api.md §2): a token in the last half of its life is renewed while it is
/// used, so a session lasts as long as its client keeps using it, not one fixed lifetime after the
/// login.
///
/// A renewal moves the session's expiry in PostgreSQL (the truth every node checks) and signs a new
/// token for the same session that expires with it; the old token keeps working until its own
/// `exp`, so requests in flight with it are not refused.
struct SessionRenewal: Sendable {
    let tokens: TokenAuthority
    let sessions: SessionStore

    /// A renewed token and when it expires.
    struct Renewed: Encodable, Sendable {
        let token: String
        let expiresAt: Date

        enum CodingKeys: String, CodingKey {
            case token
            case expiresAt = "expires_at"
        }
    }

    /// Half a lifetime: a token with less left than this is due.
    var halfLife: Duration { tokens.lifetime / 2 }

    /// Whether the token behind `identity` is in the last half of its life.
    func isDue(_ identity: TokenIdentity, now: Date = Date()) -> Bool {
        identity.expiresAt.timeIntervalSince(now) < TimeInterval(halfLife.components.seconds)
    }

    /// Renews the session if it is in the last half of its life (``isDue(_:now:)`` of the session,
    /// not only of this token) and answers a token expiring with it; `nil` when the session is no
    /// longer active.
    func renewIfDue(_ identity: TokenIdentity) async throws -> Renewed? {
        try await renew(identity, window: halfLife)
    }

    /// Renews the session now, whatever is left of it (`POST /token/refresh`).
    func renewNow(_ identity: TokenIdentity) async throws -> Renewed? {
        try await renew(identity, window: tokens.lifetime)
    }

    private func renew(_ identity: TokenIdentity, window: Duration) async throws -> Renewed? {
        guard let expiry = try await sessions.renew(
            sessionID: identity.sessionID, userID: identity.userID, lifetime: tokens.lifetime, window: window
        ) else { return nil }
        let token = try await tokens.sign(userID: identity.userID, sessionID: identity.sessionID, expiresAt: expiry)
        return Renewed(token: token, expiresAt: expiry)
    }
}

extension HTTPField.Name {
    /// The response header carrying a renewed token.
    static let parleyToken = Self("X-Parley-Token")!
}
