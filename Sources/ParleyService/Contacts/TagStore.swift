import Foundation
import Logging
import PostgresNIO

/// The SQL for tags. A tag belongs to its owner (two people may both have a tag named 家人) and is
/// kept when no friend carries it any more: it stays in `GET /tag/list`, so the client can offer
/// it again; nothing in the API deletes a tag.
struct TagStore: Sendable {
    let database: Database

    /// The tags of `ownerID`, oldest first.
    func tags(of ownerID: Int) async throws -> [Tag] {
        let rows = try await database.query("SELECT id, name FROM tags WHERE user_id = \(ownerID) ORDER BY id")
        var tags: [Tag] = []
        for try await (id, name) in rows.decode((Int, String).self) {
            tags.append(Tag(id: id, name: name))
        }
        return tags
    }

    /// The tag `id` if it is one of `ownerID`'s.
    func tag(id: Int, ownerID: Int) async throws -> Tag? {
        let rows = try await database.query("SELECT id, name FROM tags WHERE id = \(id) AND user_id = \(ownerID)")
        for try await (id, name) in rows.decode((Int, String).self) { return Tag(id: id, name: name) }
        return nil
    }

    /// Makes `names` the owner's tags on one of their friend rows, inside the caller's transaction:
    /// creates the owner's missing tags, links them, and unlinks the others.
    ///
    /// Missing tags are inserted in name order, so two transactions creating the same tags wait on
    /// them in one order and cannot deadlock; `ON CONFLICT DO NOTHING` lets the later one reuse the
    /// tag the earlier one created.
    static func replaceTags(
        ofFriendRow friendRowID: Int,
        ownerID: Int,
        with names: [String],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO tags (user_id, name)
            SELECT \(ownerID), name FROM unnest(\(names)::text[]) AS name ORDER BY name COLLATE "C"
            ON CONFLICT ON CONSTRAINT tags_owner_name_key DO NOTHING
            """,
            logger: logger
        )
        try await connection.query(
            """
            DELETE FROM friend_tags WHERE friend_row_id = \(friendRowID) AND tag_id NOT IN (
                SELECT id FROM tags WHERE user_id = \(ownerID) AND name = ANY(\(names)::text[])
            )
            """,
            logger: logger
        )
        try await connection.query(
            """
            INSERT INTO friend_tags (user_id, friend_row_id, tag_id)
            SELECT \(ownerID), \(friendRowID), id FROM tags WHERE user_id = \(ownerID) AND name = ANY(\(names)::text[])
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
    }
}
