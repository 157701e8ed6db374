import Foundation
import PostgresNIO

// The prepared statements of the message path: each message runs the first two, each delivery
// batch the third. Prepared, because PostgreSQL planned them longer than it ran them
// (BENCHMARKS.md, fix 24).

extension MessageStore {
    /// Whether the recipient takes messages from the sender, and the names the message carries:
    /// `from_name` the recipient's remark for the sender, else the sender's nickname, else username;
    /// `to_name` the sender's remark for the recipient, else theirs. No row: not friends, or blacklisted.
    struct RecipientOfMessage: PreparedQuery {
        static let sql = """
            SELECT r.status,
                COALESCE(NULLIF(rf.nickname, ''), NULLIF(s.nickname, ''), s.username), s.avatar,
                COALESCE(NULLIF(sf.nickname, ''), NULLIF(r.nickname, ''), r.username), r.avatar
            FROM users r
            JOIN friends rf ON rf.user_id = r.id AND rf.friend_id = $1 AND rf.isblack = 0
            JOIN users s ON s.id = $1
            LEFT JOIN friends sf ON sf.user_id = s.id AND sf.friend_id = r.id
            WHERE r.id = $2
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]

        let senderID: Int
        let recipientID: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(senderID)
            bindings.append(recipientID)
            return bindings
        }
    }

    /// The message, its entry in the recipient's inbox (numbered under the mailbox's lock, see
    /// `sql/0008_inbox.sql`), and the conversation pair — inserted once and never locked (DO
    /// NOTHING), in id order so that two first messages crossing each other wait rather than deadlock.
    struct InsertMessage: PreparedQuery {
        static let sql = """
            WITH message AS (
                INSERT INTO messages (from_id, to_id, chat_type, type, data, options, from_name, from_avatar, to_name, to_avatar)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
                RETURNING id, created_at
            ), entry AS (
                INSERT INTO inbox (user_id, seq, kind, peer_id, message_id)
                SELECT $2, next_inbox_seq($2), 'message', $1, id FROM message
            ), pair AS (
                INSERT INTO conversations (user_id, peer_id)
                SELECT u, p FROM (VALUES ($1::bigint, $2::bigint), ($2, $1)) v (u, p)
                ORDER BY u
                ON CONFLICT DO NOTHING
            )
            SELECT id, created_at FROM message
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .text, .text, .text, .text, .text, .text, .text, .text]

        let senderID: Int
        let recipientID: Int
        let chatType: ChatType
        let type: MessageType
        let data: String
        /// JSON text.
        let options: String
        let fromName: String
        let fromAvatar: String
        let toName: String
        let toAvatar: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 10)
            bindings.append(senderID)
            bindings.append(recipientID)
            for text in [chatType.rawValue, type.rawValue, data, options, fromName, fromAvatar, toName, toAvatar] {
                bindings.append(text)
            }
            return bindings
        }
    }
}

extension InboxStore {
    /// An inbox past `after` — and, for a session's socket, past the delivery cursor too, and only
    /// while the session is active — with the cursor and the inbox's last number: one row with no
    /// entry when nothing is past, `active` false when the session ended.
    struct ReadInbox: PreparedQuery {
        static let sql = """
            SELECT a.active, a.cursor, a.last_seq, p.*
            FROM (
                SELECT $2::uuid IS NULL OR EXISTS (
                    SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                    WHERE s.id = $2 AND s.user_id = $1 AND s.revoked_at IS NULL
                        AND s.expires_at > now() AND u.status = 1
                ) AS active,
                COALESCE((SELECT delivered_seq FROM delivery_cursors WHERE user_id = $1), 0) AS cursor,
                COALESCE((SELECT last_seq FROM mailboxes WHERE user_id = $1), 0) AS last_seq
            ) a
            LEFT JOIN LATERAL (
                SELECT \(InboxStore.columns)
                FROM inbox i JOIN messages m ON m.id = i.message_id
                WHERE a.active AND i.user_id = $1
                    AND i.seq > GREATEST($3, CASE WHEN $2::uuid IS NULL THEN 0 ELSE a.cursor END)
                ORDER BY i.seq LIMIT $4
            ) p ON true
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .uuid, .int8, .int8]

        let userID: Int
        let sessionID: UUID?
        let after: Int
        let limit: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(userID)
            bindings.append(sessionID)
            bindings.append(after)
            bindings.append(limit)
            return bindings
        }
    }
}
