import Foundation
import PostgresNIO

/// The SQL for messages and for what each recipient still has to receive.
public struct MessageStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// How long a sender may recall a message.
    static let recallWindow: TimeInterval = 120

    /// Stores a message and its delivery to the recipient, in one statement.
    ///
    /// The recipient must have the sender as a friend without blacklisting them, and be enabled.
    /// Names are resolved as the client shows them: `from_name` is the recipient's remark for the
    /// sender, else the sender's nickname, else username; `to_name` the sender's remark for the
    /// recipient, else theirs.
    public func send(from senderID: Int, to recipientID: Int, chatType: String, type: String, data: String, options: JSONValue) async throws -> Message {
        let names = try await database.query(
            """
            SELECT r.status,
                COALESCE(NULLIF(rf.nickname, ''), NULLIF(s.nickname, ''), s.username), s.avatar,
                COALESCE(NULLIF(sf.nickname, ''), NULLIF(r.nickname, ''), r.username), r.avatar
            FROM users r
            JOIN friends rf ON rf.user_id = r.id AND rf.friend_id = \(senderID) AND rf.isblack = 0
            JOIN users s ON s.id = \(senderID)
            LEFT JOIN friends sf ON sf.user_id = s.id AND sf.friend_id = r.id
            WHERE r.id = \(recipientID)
            """
        )
        var resolved: (status: Int16, fromName: String, fromAvatar: String, toName: String, toAvatar: String)?
        for try await row in names.decode((Int16, String, String, String, String).self) { resolved = row }
        guard let resolved else { throw ParleyError(.notFriend) }
        guard resolved.status == 1 else { throw ParleyError(.recipientDisabled) }

        let optionsJSON = try options.jsonText()
        let rows = try await database.query(
            """
            WITH message AS (
                INSERT INTO messages (from_id, to_id, chat_type, type, data, options, from_name, from_avatar, to_name, to_avatar)
                VALUES (\(senderID), \(recipientID), \(chatType), \(type), \(data), \(optionsJSON)::jsonb,
                    \(resolved.fromName), \(resolved.fromAvatar), \(resolved.toName), \(resolved.toAvatar))
                RETURNING id, created_at
            ), delivery AS (
                INSERT INTO deliveries (user_id, message_id, kind) SELECT \(recipientID), id, 'message' FROM message
            )
            SELECT id, created_at FROM message
            """
        )
        for try await (id, createdAt) in rows.decode((Int, Date).self) {
            return Message(
                id: id, fromID: senderID, fromName: resolved.fromName, fromAvatar: resolved.fromAvatar,
                toID: recipientID, toName: resolved.toName, toAvatar: resolved.toAvatar, chatType: chatType,
                type: type, data: data, options: options, createTime: Int64(createdAt.timeIntervalSince1970 * 1000)
            )
        }
        preconditionFailure("INSERT … RETURNING returned no row")
    }

    /// Recalls the sender's own message to `recipientID`, within ``recallWindow``.
    ///
    /// Recalling twice is answered the same and queues one recall only.
    public func recall(messageID: Int, by senderID: Int, to recipientID: Int, chatType: String) async throws -> RecallNotice {
        try await database.transaction { connection in
            let rows = try await connection.query(
                """
                SELECT from_id, to_id, chat_type, recalled_at IS NOT NULL, now() - created_at > make_interval(secs => \(Self.recallWindow))
                FROM messages WHERE id = \(messageID) FOR UPDATE
                """,
                logger: database.logger
            )
            var found: (from: Int, to: Int, chatType: String, recalled: Bool, expired: Bool)?
            for try await row in rows.decode((Int, Int, String, Bool, Bool).self) { found = row }
            guard let found, found.to == recipientID, found.chatType == chatType else { throw ParleyError(.notFound) }
            guard found.from == senderID else { throw ParleyError(.forbidden) }
            let notice = RecallNotice(fromID: senderID, toID: recipientID, chatType: chatType, id: messageID)
            if found.recalled { return notice }
            guard !found.expired else { throw ParleyError(.recallExpired) }
            try await connection.query(
                """
                WITH recalled AS (UPDATE messages SET recalled_at = now() WHERE id = \(messageID))
                INSERT INTO deliveries (user_id, message_id, kind) VALUES (\(recipientID), \(messageID), 'recall')
                """,
                logger: database.logger
            )
            return notice
        }
    }

    /// How many frames wait for `userID`.
    public func pendingCount(for userID: Int) async throws -> Int {
        for try await count in try await database.query("SELECT count(*) FROM deliveries WHERE user_id = \(userID)").decode(Int.self) {
            return count
        }
        return 0
    }

    /// The oldest frames waiting for `userID`, in order, with the ids that acknowledge them — or
    /// `nil` when the session `sessionID` no longer lets its socket receive them (revoked, expired,
    /// its user disabled): the frames then wait for the account's current socket. One query either
    /// way, so a socket whose kick was lost never takes a message meant for its successor.
    func pending(for userID: Int, session sessionID: UUID, limit: Int) async throws -> [(deliveryID: Int, frame: ServerFrame)]? {
        let rows = try await database.query(
            """
            SELECT a.active, p.*
            FROM (
                SELECT EXISTS (
                    SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                    WHERE s.id = \(sessionID) AND s.user_id = \(userID) AND s.revoked_at IS NULL
                        AND s.expires_at > now() AND u.status = 1
                ) AS active
            ) a
            LEFT JOIN LATERAL (
                SELECT d.id, d.kind, m.id, m.from_id, m.from_name, m.from_avatar, m.to_id, m.to_name, m.to_avatar,
                    m.chat_type, m.type, m.data, m.options::text, m.created_at
                FROM deliveries d JOIN messages m ON m.id = d.message_id
                WHERE a.active AND d.user_id = \(userID) ORDER BY d.id LIMIT \(limit)
            ) p ON true
            """
        )
        var pending: [(Int, ServerFrame)] = []
        for try await row in rows {
            let columns = row.makeRandomAccess()
            guard try columns[0].decode(Bool.self) else { return nil }
            // An active session with nothing waiting: the one row, with no frame.
            guard columns[1].bytes != nil else { break }
            let (_, deliveryID, kind, id, fromID, fromName, fromAvatar, toID, toName, toAvatar, chatType, type, data, options, createdAt) =
                try row.decode((Bool, Int, String, Int, Int, String, String, Int, String, String, String, String, String, String, Date).self)
            if kind == "recall" {
                let notice = RecallNotice(fromID: fromID, toID: toID, chatType: chatType, id: id)
                pending.append((deliveryID, .recall(json: try notice.jsonText())))
            } else {
                let message = Message(
                    id: id, fromID: fromID, fromName: fromName, fromAvatar: fromAvatar, toID: toID, toName: toName,
                    toAvatar: toAvatar, chatType: chatType, type: type, data: data,
                    options: (try? JSONParser.parse(options.utf8)) ?? .object([:]),
                    createTime: Int64(createdAt.timeIntervalSince1970 * 1000)
                )
                pending.append((deliveryID, .chatMessage(json: try message.jsonText())))
            }
        }
        return pending
    }

    /// Forgets frames the recipient's socket has received.
    func acknowledge(_ deliveryIDs: [Int]) async throws {
        _ = try await database.query("DELETE FROM deliveries WHERE id = ANY(\(deliveryIDs))").collect()
    }
}
