import Foundation
import JWTKit

/// The claims of a Parley token (API.md §2): who (`sub`), which session (`sid`), and when.
struct TokenClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var sid: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    /// jwt-kit only signs these (``HS256Verifier`` verifies), so there is nothing to check here.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A token that was checked and refused.
enum TokenRejection: Error, Sendable, Equatable {
    case invalid
    case expired
}

/// Who a valid token speaks for.
struct TokenIdentity: Sendable, Equatable {
    let userID: Int
    let sessionID: UUID
    /// The token's `exp`: an open socket closes then too (``Gateway``'s session sweep).
    let expiresAt: Date
}

/// Signs and verifies HS256 tokens.
struct TokenAuthority: Sendable {
    /// jwt-kit asserts this much key material, and less would make HS256 guessable.
    static let minimumSecretLength = 32
    /// Tolerated clock difference between nodes for `iat`.
    static let clockSkew: TimeInterval = 60

    /// Signs; verification is ``verifier``'s, which needs no actor.
    private let keys: JWTKeyCollection
    private let verifier: HS256Verifier
    let lifetime: Duration

    init(secret: String, lifetime: Duration) async throws {
        guard secret.utf8.count >= Self.minimumSecretLength else {
            throw ConfigurationError.invalid(
                "PARLEY_JWT_SECRET",
                reason: "must be at least \(Self.minimumSecretLength) bytes (got \(secret.utf8.count))"
            )
        }
        self.keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.verifier = HS256Verifier(secret: secret)
        self.lifetime = lifetime
    }

    /// A token for a new session: it expires one ``lifetime`` after `now`.
    func sign(userID: Int, sessionID: UUID, now: Date = Date()) async throws -> String {
        try await sign(userID: userID, sessionID: sessionID, expiresAt: now.addingTimeInterval(TimeInterval(lifetime.components.seconds)), now: now)
    }

    /// A token that expires with its session at `expiresAt` (a renewed session's new expiry).
    func sign(userID: Int, sessionID: UUID, expiresAt: Date, now: Date = Date()) async throws -> String {
        let claims = TokenClaims(
            sub: SubjectClaim(value: String(userID)),
            sid: sessionID.uuidString.lowercased(),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: expiresAt)
        )
        return try await keys.sign(claims)
    }

    /// Who `token` speaks for, if a node signed it and it has not expired; checked on the caller's
    /// thread (``HS256Verifier``).
    func verify(_ token: String, now: Date = Date()) throws(TokenRejection) -> TokenIdentity {
        guard let claims = verifier.claims(of: token), let userID = Int(claims.subject),
            let sessionID = UUID(uuidString: claims.sessionID),
            claims.issuedAt <= now.addingTimeInterval(Self.clockSkew).timeIntervalSince1970
        else { throw .invalid }
        let expiresAt = Date(timeIntervalSince1970: claims.expiresAt)
        guard expiresAt > now else { throw .expired }
        return TokenIdentity(userID: userID, sessionID: sessionID, expiresAt: expiresAt)
    }
}
