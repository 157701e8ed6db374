import PostgresNIO

/// The SQL for a user's own profile.
public struct ProfileStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Applies `changes` (a `nil` keeps the column) and answers the user as stored; `nil` when the
    /// user is gone. Friends read profiles from this row on every request, so the change shows on
    /// every node at once.
    func update(userID: Int, _ changes: ProfileChanges) async throws -> User? {
        try await UserStore.decodeUsers(
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
                RETURNING \(unescaped: UserStore.columns)
                """
            )
        ).first
    }
}
