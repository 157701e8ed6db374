import Foundation
import PostgresNIO

/// The SQL for friendships. Each friendship is two rows, one per direction; every method here reads
/// or changes the row of its `ownerID`, which holds that person's view (remark, star, blacklist…).
struct FriendStore: Sendable {
    let database: Database

    /// Whether `friendID` is among the friends of `ownerID`.
    func isFriend(ownerID: Int, friendID: Int) async throws -> Bool {
        let rows = try await database.query(
            "SELECT 1 FROM friends WHERE user_id = \(ownerID) AND friend_id = \(friendID)"
        )
        for try await _ in rows { return true }
        return false
    }

    /// Every friend of `ownerID`, blacklisted and disabled ones included, or only those carrying
    /// the owner's tag `tagID`, in no particular order (``ContactIndex`` orders them).
    func list(ownerID: Int, taggedWith tagID: Int? = nil) async throws -> [FriendListItem] {
        let rows = try await database.query(
            """
            SELECT u.id, f.nickname, u.nickname, u.username, u.avatar, f.star, f.isblack
            FROM friends f JOIN users u ON u.id = f.friend_id
            WHERE f.user_id = \(ownerID) AND (\(tagID)::bigint IS NULL OR EXISTS (
                SELECT 1 FROM friend_tags ft WHERE ft.friend_row_id = f.id AND ft.tag_id = \(tagID)
            ))
            """
        )
        return try rows.collect().map { row in
            var columns = ColumnReader(row)
            let id: Int = try columns.next()
            let remark: String = try columns.next()
            let nickname: String = try columns.next()
            let username: String = try columns.next()
            let avatar: String = try columns.next()
            let star: Int16 = try columns.next()
            let isblack: Int16 = try columns.next()
            let name = !remark.isEmpty ? remark : !nickname.isEmpty ? nickname : username
            return FriendListItem(id: id, name: name, username: username, avatar: avatar, star: Int(star), isblack: Int(isblack))
        }
    }

    /// The version of `ownerID`'s contact list, raised by every change to what the list shows
    /// (`sql/0010_contact_list_versions.sql`); 0 for a list never changed.
    func listVersion(ownerID: Int) async throws -> Int64 {
        for row in try await database.execute(ContactListVersion(ownerID: ownerID)) {
            var columns = ColumnReader(row)
            return try columns.next()
        }
        return 0
    }

    /// The row of `ownerID` for `friendID`, with the names of the owner's tags on it (by name);
    /// `nil` when they are not friends.
    func friendship(ownerID: Int, friendID: Int) async throws -> Friendship? {
        let rows = try await database.query(
            """
            SELECT f.nickname, f.lookme, f.lookhim, f.star, f.isblack,
                ARRAY(
                    SELECT t.name FROM friend_tags ft JOIN tags t ON t.id = ft.tag_id
                    WHERE ft.friend_row_id = f.id ORDER BY t.name COLLATE "C"
                )
            FROM friends f WHERE f.user_id = \(ownerID) AND f.friend_id = \(friendID)
            """
        )
        for try await (remark, lookme, lookhim, star, isblack, tags)
            in rows.decode((String, Int16, Int16, Int16, Int16, [String]).self)
        {
            return Friendship(
                remark: remark, lookme: Int(lookme), lookhim: Int(lookhim), star: Int(star), isblack: Int(isblack),
                tags: tags
            )
        }
        return nil
    }

    /// Puts `friendID` on or off the blacklist of `ownerID`; `false` when they are not friends.
    func setBlack(ownerID: Int, friendID: Int, isblack: Int) async throws -> Bool {
        try await updatedAny(
            """
            UPDATE friends SET isblack = \(Int16(isblack)), updated_at = now()
            WHERE user_id = \(ownerID) AND friend_id = \(friendID) RETURNING id
            """
        )
    }

    /// Stars or unstars a friend; `false` when they are not friends or blacklisted.
    func setStar(ownerID: Int, friendID: Int, star: Int) async throws -> Bool {
        try await updatedAny(
            """
            UPDATE friends SET star = \(Int16(star)), updated_at = now()
            WHERE user_id = \(ownerID) AND friend_id = \(friendID) AND isblack = 0 RETURNING id
            """
        )
    }

    /// Sets who sees whose moments; `false` when they are not friends or blacklisted.
    func setMomentAuth(ownerID: Int, friendID: Int, lookme: Int, lookhim: Int) async throws -> Bool {
        try await updatedAny(
            """
            UPDATE friends SET lookme = \(Int16(lookme)), lookhim = \(Int16(lookhim)), updated_at = now()
            WHERE user_id = \(ownerID) AND friend_id = \(friendID) AND isblack = 0 RETURNING id
            """
        )
    }

    /// Sets my remark for a friend (unchanged when `remark` is `nil`) and replaces my tags on them
    /// with `tags`, in one transaction; `false` when they are not friends or blacklisted.
    func setRemarkAndTags(ownerID: Int, friendID: Int, remark: String?, tags: [String]) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.query(
                """
                SELECT id FROM friends
                WHERE user_id = \(ownerID) AND friend_id = \(friendID) AND isblack = 0 FOR UPDATE
                """,
                logger: database.logger
            )
            var friendRowID: Int?
            for try await id in rows.decode(Int.self) { friendRowID = id }
            guard let friendRowID else { return false }
            if let remark {
                try await connection.query(
                    "UPDATE friends SET nickname = \(remark), updated_at = now() WHERE id = \(friendRowID)",
                    logger: database.logger
                )
            }
            try await TagStore.replaceTags(
                ofFriendRow: friendRowID, ownerID: ownerID, with: tags, on: connection, logger: database.logger
            )
            return true
        }
    }

    /// Ends the friendship in both directions; `false` when `friendID` is not a friend of `ownerID`.
    /// The tags on either row go with it (`friend_tags` cascades); the tags themselves and the
    /// messages stay.
    func destroy(ownerID: Int, friendID: Int) async throws -> Bool {
        let rows = try await database.query(
            """
            DELETE FROM friends
            WHERE (user_id = \(ownerID) AND friend_id = \(friendID)) OR (user_id = \(friendID) AND friend_id = \(ownerID))
            RETURNING user_id
            """
        )
        for try await owner in rows.decode(Int.self) where owner == ownerID { return true }
        return false
    }

    /// Runs an `UPDATE … RETURNING` and tells whether it changed a row.
    private func updatedAny(_ query: PostgresQuery) async throws -> Bool {
        for try await _ in try await database.query(query) { return true }
        return false
    }
}

extension FriendStore {
    /// Prepared: it runs on every `GET /friend/list`, and a statement this small costs PostgreSQL
    /// more to plan than to run (BENCHMARKS.md, fix 24).
    struct ContactListVersion: PreparedQuery {
        static let sql = "SELECT version FROM contact_list_versions WHERE user_id = $1"
        static let bindingDataTypes: [PostgresDataType] = [.int8]

        let ownerID: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(ownerID)
            return bindings
        }
    }
}
