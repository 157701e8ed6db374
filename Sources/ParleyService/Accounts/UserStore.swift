import Foundation
import PostgresNIO

/// The SQL for accounts.
struct UserStore: Sendable {
    let database: Database

    /// The columns of ``User``, in the order ``decodeUser(_:)`` reads them.
    static let columns = "id, username, nickname, avatar, sex, sign, area, email, phone, status, created_at, updated_at"

    /// Creates an account; `nil` when the username is taken (the unique constraint decides, so two
    /// concurrent registrations can never both succeed).
    func create(username: String, passwordHash: String) async throws -> User? {
        do {
            let rows = try await database.query(
                """
                INSERT INTO users (username, password_hash) VALUES (\(username), \(passwordHash))
                RETURNING \(unescaped: Self.columns)
                """
            )
            return try await Self.decodeUsers(rows).first
        } catch where Database.isUniqueViolation(error, constraint: "users_username_key") {
            return nil
        }
    }

    /// The account and its password hash, for signing in.
    func credentials(username: String) async throws -> (user: User, passwordHash: String)? {
        let rows = try await database.query(
            "SELECT \(unescaped: Self.columns), password_hash FROM users WHERE username = \(username)"
        )
        for try await row in rows {
            return (try Self.decodeUser(row), try row.makeRandomAccess()["password_hash"].decode(String.self))
        }
        return nil
    }

    func user(id: Int) async throws -> User? {
        try await Self.decodeUsers(
            database.query("SELECT \(unescaped: Self.columns) FROM users WHERE id = \(id)")
        ).first
    }

    /// An enabled account by its exact username.
    func enabledUser(username: String) async throws -> User? {
        try await Self.decodeUsers(
            database.query("SELECT \(unescaped: Self.columns) FROM users WHERE username = \(username) AND status = 1")
        ).first
    }

    /// For operators: the account whose id is `query` (when it is a number), then the accounts
    /// whose username starts with it, disabled ones included; at most `limit`.
    func search(_ query: String, limit: Int) async throws -> [User] {
        let id = Int(query) ?? 0
        // LIKE's own characters in the query match themselves.
        let prefix = query.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await Self.decodeUsers(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM users
                WHERE id = \(id) OR username LIKE \(prefix)
                ORDER BY id <> \(id), username LIMIT \(limit)
                """
            )
        )
    }

    /// Enables or disables an account.
    func setStatus(userID: Int, enabled: Bool) async throws {
        _ = try await database.query(
            "UPDATE users SET status = \(Int16(enabled ? 1 : 0)), updated_at = now() WHERE id = \(userID)"
        ).collect()
    }

    /// Applies a profile change (a `nil` keeps the column) and answers the user as stored; `nil`
    /// when the user is gone. Friends read profiles from this row on every request, so the change
    /// shows on every node at once.
    func updateProfile(userID: Int, _ changes: ProfileChanges) async throws -> User? {
        try await Self.decodeUsers(
            database.query(
                """
                UPDATE users SET
                    nickname = COALESCE(\(changes.nickname), nickname),
                    avatar = COALESCE(\(changes.avatar), avatar),
                    sex = COALESCE(\(changes.sex), sex),
                    sign = COALESCE(\(changes.sign), sign),
                    area = COALESCE(\(changes.area), area),
                    updated_at = now()
                WHERE id = \(userID)
                RETURNING \(unescaped: Self.columns)
                """
            )
        ).first
    }

    static func decodeUsers(_ rows: QueryRows) async throws -> [User] {
        var users: [User] = []
        for try await row in rows {
            users.append(try decodeUser(row))
        }
        return users
    }

    static func decodeUser(_ row: PostgresRow) throws -> User {
        let (id, username, nickname, avatar, sex, sign, area, email, phone, status, createdAt, updatedAt) =
            try row.decode((Int, String, String, String, String, String, String, String, String, Int16, Date, Date).self)
        return User(
            id: id, username: username, nickname: nickname, avatar: avatar, sex: sex, sign: sign, area: area,
            email: email, phone: phone, status: Int(status), createdAt: createdAt, updatedAt: updatedAt
        )
    }
}
