import Foundation
import PostgresNIO

/// Why a session stopped working; the gateway tells the person the matching `fail` frame.
enum RevocationReason: String, Sendable {
    case superseded
    case loggedOut = "logged_out"
    case disabled
}

/// What the database says of a token's session and user, checked on every authenticated request.
/// Why a session that was active no longer is.
enum SessionEnding: Sendable, Equatable {
    case revoked(RevocationReason)
    case expired
    case userDisabled
    /// No such session, or its user was deleted.
    case unknown
}

enum SessionState: Sendable, Equatable {
    case active(userID: Int)
    /// Revoked, superseded by a newer login, or unknown.
    case invalid
    /// The user was deleted.
    case userMissing
    /// The user is disabled.
    case userDisabled
}

/// The SQL for sessions: one active session per account, revoked at once by a new login or a
/// logout, so a token stops working on every node with the next request.
struct SessionStore: Sendable {
    let database: Database

    /// A new session for `userID`, revoking the previous one in the same transaction.
    ///
    /// The user's row is locked first, so two logins racing on two nodes are ordered: the later
    /// revokes the earlier, and exactly one session stays active.
    /// - Returns: the new session and the ids of the sessions it superseded.
    func start(userID: Int, lifetime: Duration) async throws -> (session: UUID, superseded: [UUID]) {
        try await database.transaction { connection in
            try await connection.query("SELECT 1 FROM users WHERE id = \(userID) FOR UPDATE", logger: database.logger)
            // Revoked sessions can never work again: drop them instead of keeping them forever.
            try await connection.query(
                "DELETE FROM sessions WHERE user_id = \(userID) AND revoked_at IS NOT NULL",
                logger: database.logger
            )
            var superseded: [UUID] = []
            for try await id in try await connection.query(
                """
                UPDATE sessions SET revoked_at = now(), revoked_reason = \(RevocationReason.superseded.rawValue)
                WHERE user_id = \(userID) AND revoked_at IS NULL RETURNING id
                """,
                logger: database.logger
            ).decode(UUID.self) {
                superseded.append(id)
            }
            let seconds = Double(lifetime.components.seconds)
            let rows = try await connection.query(
                """
                INSERT INTO sessions (user_id, expires_at)
                VALUES (\(userID), now() + make_interval(secs => \(seconds))) RETURNING id
                """,
                logger: database.logger
            )
            for try await id in rows.decode(UUID.self) {
                return (id, superseded)
            }
            preconditionFailure("INSERT … RETURNING returned no row")
        }
    }

    /// Moves the expiry of an active session to `lifetime` from now if it falls within `window` of
    /// now, and answers its expiry (moved or not); `nil` when the session is revoked, expired or not
    /// the user's.
    ///
    /// The window keeps a client that ignores renewed tokens (the old one) from writing the session
    /// row on every request: after one renewal the expiry is far enough away that the next requests
    /// only read it.
    func renew(sessionID: UUID, userID: Int, lifetime: Duration, window: Duration) async throws -> Date? {
        let seconds = Double(lifetime.components.seconds)
        let windowSeconds = Double(window.components.seconds)
        let rows = try await database.query(
            """
            WITH renewed AS (
                UPDATE sessions SET expires_at = now() + make_interval(secs => \(seconds))
                WHERE id = \(sessionID) AND user_id = \(userID) AND revoked_at IS NULL AND expires_at > now()
                    AND expires_at < now() + make_interval(secs => \(windowSeconds))
                RETURNING expires_at
            )
            SELECT expires_at FROM renewed
            UNION ALL
            SELECT expires_at FROM sessions
            WHERE id = \(sessionID) AND user_id = \(userID) AND revoked_at IS NULL AND expires_at > now()
                AND NOT EXISTS (SELECT 1 FROM renewed)
            """
        )
        for try await expiry in rows.decode(Date.self) { return expiry }
        return nil
    }

    /// Revokes `sessionID`; `false` when it was not active.
    @discardableResult
    func revoke(sessionID: UUID, reason: RevocationReason) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(reason.rawValue)
            WHERE id = \(sessionID) AND revoked_at IS NULL RETURNING id
            """
        )
        for try await _ in rows { return true }
        return false
    }

    /// Revokes every active session of the account.
    func revokeAll(userID: Int, reason: RevocationReason) async throws {
        _ = try await database.query(
            """
            UPDATE sessions SET revoked_at = now(), revoked_reason = \(reason.rawValue)
            WHERE user_id = \(userID) AND revoked_at IS NULL
            """
        ).collect()
    }

    /// The account's sessions, newest first: the active one and those revoked since its last login
    /// (a login deletes the older revoked ones).
    func history(userID: Int) async throws -> [SessionRecord] {
        let rows = try await database.query(
            """
            SELECT created_at, expires_at, revoked_at, revoked_reason, revoked_at IS NULL AND expires_at > now()
            FROM sessions WHERE user_id = \(userID) ORDER BY created_at DESC LIMIT 50
            """
        )
        var records: [SessionRecord] = []
        for try await (created, expires, revoked, reason, active) in rows.decode((Date, Date, Date?, String?, Bool).self) {
            records.append(SessionRecord(createdAt: created, expiresAt: expires, revokedAt: revoked, revokedReason: reason, active: active))
        }
        return records
    }

    /// Why each of `sessionIDs` may no longer be used, in one query; the sessions still active are
    /// not in the answer.
    func endings(of sessionIDs: [UUID]) async throws -> [UUID: SessionEnding] {
        var endings = Dictionary(uniqueKeysWithValues: sessionIDs.map { ($0, SessionEnding.unknown) })
        let rows = try await database.query(
            """
            SELECT s.id, u.status, s.revoked_reason, s.expires_at > now()
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = ANY(\(sessionIDs))
            """
        )
        for try await (id, status, revokedReason, isUnexpired) in rows.decode((UUID, Int16, String?, Bool).self) {
            if status != 1 {
                endings[id] = .userDisabled
            } else if let revokedReason {
                endings[id] = .revoked(RevocationReason(rawValue: revokedReason) ?? .superseded)
            } else if !isUnexpired {
                endings[id] = .expired
            } else {
                endings[id] = nil
            }
        }
        return endings
    }

    /// The state of each token's session and user, in one query however many there are: the
    /// sockets that connect together are checked together. Keyed by session id.
    /// - Parameter runner: where the query runs; the pool unless given.
    func states(of identities: [TokenIdentity], on runner: (any QueryRunner)? = nil) async throws -> [UUID: SessionState] {
        let rows = try await (runner ?? database).query(
            """
            SELECT t.session_id, t.user_id, u.status, s.id IS NOT NULL AND s.revoked_at IS NULL AND s.expires_at > now()
            FROM unnest(\(identities.map(\.sessionID))::uuid[], \(identities.map(\.userID))::bigint[]) AS t (session_id, user_id)
            LEFT JOIN users u ON u.id = t.user_id
            LEFT JOIN sessions s ON s.id = t.session_id AND s.user_id = t.user_id
            """,
            file: #fileID,
            line: #line
        )
        var states: [UUID: SessionState] = [:]
        for try await (sessionID, userID, status, active) in rows.decode((UUID, Int, Int16?, Bool).self) {
            states[sessionID] =
                switch status {
                case nil: .userMissing
                case 1: active ? .active(userID: userID) : .invalid
                default: .userDisabled
                }
        }
        return states
    }
}

/// A session as an operator sees it (docs/api.md §7): no id, which is half a token's identity.
struct SessionRecord: Encodable, Sendable, Equatable {
    let createdAt: Date
    let expiresAt: Date
    @Nullable var revokedAt: Date?
    @Nullable var revokedReason: String?
    let active: Bool

    enum CodingKeys: String, CodingKey {
        case active
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case revokedReason = "revoked_reason"
    }
}
