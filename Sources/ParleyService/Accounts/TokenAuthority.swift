import Foundation
import JWTKit
import Synchronization

/// The claims of a Parley token (API.md §2): who (`sub`), which session (`sid`), and when.
struct TokenClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var sid: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    /// Claims are checked by ``TokenAuthority/verify(_:)`` after the signature, where an expired
    /// token can be told apart from an invalid one.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A token that was checked and refused.
public enum TokenRejection: Error, Sendable, Equatable {
    case invalid
    case expired
}

/// Who a valid token speaks for.
public struct TokenIdentity: Sendable, Equatable {
    public let userID: Int
    public let sessionID: UUID
    /// The token's `exp`: an open socket closes then too (``Gateway``'s session sweep).
    public let expiresAt: Date
}

/// Signs and verifies HS256 tokens.
public struct TokenAuthority: Sendable {
    /// jwt-kit asserts this much key material, and less would make HS256 guessable.
    public static let minimumSecretLength = 32
    /// Tolerated clock difference between nodes for `iat`.
    static let clockSkew: TimeInterval = 60

    private let keys: JWTKeyCollection
    public let lifetime: Duration
    private let hs256Headers = HS256Headers()

    public init(secret: String, lifetime: Duration) async throws {
        guard secret.utf8.count >= Self.minimumSecretLength else {
            throw ConfigurationError.invalid(
                "PARLEY_JWT_SECRET",
                reason: "must be at least \(Self.minimumSecretLength) bytes (got \(secret.utf8.count))"
            )
        }
        self.keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.lifetime = lifetime
    }

    /// A token for a new session: it expires one ``lifetime`` after `now`.
    public func sign(userID: Int, sessionID: UUID, now: Date = Date()) async throws -> String {
        try await sign(userID: userID, sessionID: sessionID, expiresAt: now.addingTimeInterval(TimeInterval(lifetime.components.seconds)), now: now)
    }

    /// A token that expires with its session at `expiresAt` (a renewed session's new expiry).
    public func sign(userID: Int, sessionID: UUID, expiresAt: Date, now: Date = Date()) async throws -> String {
        let claims = TokenClaims(
            sub: SubjectClaim(value: String(userID)),
            sid: sessionID.uuidString.lowercased(),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: expiresAt)
        )
        return try await keys.sign(claims)
    }

    public func verify(_ token: String, now: Date = Date()) async throws(TokenRejection) -> TokenIdentity {
        guard isHS256(token) else { throw .invalid }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw .invalid
        }
        guard let userID = Int(claims.sub.value), let sessionID = UUID(uuidString: claims.sid),
            claims.iat.value <= now.addingTimeInterval(Self.clockSkew)
        else { throw .invalid }
        guard claims.exp.value > now else { throw .expired }
        return TokenIdentity(userID: userID, sessionID: sessionID, expiresAt: claims.exp.value)
    }

    /// Whether the token's header says HS256: only HS256 is ever accepted, whatever the header claims.
    private func isHS256(_ token: String) -> Bool {
        let header = token.prefix { $0 != "." }
        if hs256Headers.contains(header) { return true }
        guard Self.headerAlgorithm(of: token) == "HS256" else { return false }
        hs256Headers.remember(header)
        return true
    }

    /// The `alg` of the token's header.
    private static func headerAlgorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }
}

/// Header segments already found to say HS256. Tokens carry one of very few spellings (jwt-kit's
/// member order varies between processes), so parsing each token's header again was wasted work:
/// 2.5 % of a socket connect.
private final class HS256Headers: Sendable {
    /// Enough for every spelling; a client sending more only misses the shortcut.
    static let capacity = 16
    private let known = Mutex<Set<Substring>>([])

    func contains(_ header: Substring) -> Bool {
        known.withLock { $0.contains(header) }
    }

    func remember(_ header: Substring) {
        known.withLock { known in
            if known.count < Self.capacity { known.insert(header) }
        }
    }
}
