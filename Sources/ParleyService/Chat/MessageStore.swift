import Foundation
import PostgresNIO

/// The SQL for messages: sending and recalling them, a conversation's history, the conversation
/// list and read state. What each account receives of them is its inbox (``InboxStore``).
///
/// Every change that concerns an account appends to its inbox in the same transaction, numbered by
/// its mailbox's counter; see `sql/0008_inbox.sql` for why that numbering follows commit order.
struct MessageStore: Sendable {
    let database: Database

    /// How long a sender may recall a message.
    static let recallWindow: TimeInterval = 120

    /// Stores a message and its inbox entry for the recipient, in one statement.
    ///
    /// The recipient must have the sender as a friend without blacklisting them, and be enabled.
    /// Names are resolved as the client shows them: `from_name` is the recipient's remark for the
    /// sender, else the sender's nickname, else username; `to_name` the sender's remark for the
    /// recipient, else theirs.
    func send(from senderID: Int, to recipientID: Int, chatType: ChatType, type: MessageType, data: String, options: JSONValue) async throws -> Message {
        var resolved: (status: Int16, fromName: String, fromAvatar: String, toName: String, toAvatar: String)?
        for row in try await database.execute(RecipientOfMessage(senderID: senderID, recipientID: recipientID)) {
            resolved = try row.decode((Int16, String, String, String, String).self)
        }
        guard let resolved else { throw ParleyError(.notFriend) }
        guard resolved.status == 1 else { throw ParleyError(.recipientDisabled) }

        let optionsJSON = try options.jsonText()
        let inserted = try await database.execute(InsertMessage(
            senderID: senderID, recipientID: recipientID, chatType: chatType, type: type, data: data,
            options: optionsJSON, fromName: resolved.fromName, fromAvatar: resolved.fromAvatar,
            toName: resolved.toName, toAvatar: resolved.toAvatar
        ))
        for row in inserted {
            let (id, createdAt) = try row.decode((Int, Date).self)
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
    /// Recalling twice is answered the same and queues one recall only. A message outside the
    /// conversation of the two is not found, whoever it belongs to: a stranger learns nothing about
    /// other conversations (the recipient's own messages in it are `forbidden`, API.md §4).
    func recall(messageID: Int, by senderID: Int, to recipientID: Int, chatType: ChatType) async throws -> MessageNotice {
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
            guard let found, found.chatType == chatType.rawValue, Set([found.from, found.to]) == Set([senderID, recipientID]) else {
                throw ParleyError(.notFound)
            }
            guard found.from == senderID else { throw ParleyError(.forbidden) }
            let notice = MessageNotice(fromID: senderID, toID: recipientID, chatType: chatType, id: messageID)
            if found.recalled { return notice }
            guard !found.expired else { throw ParleyError(.recallExpired) }
            try await connection.query(
                """
                WITH recalled AS (UPDATE messages SET recalled_at = now() WHERE id = \(messageID))
                INSERT INTO inbox (user_id, seq, kind, peer_id, message_id)
                VALUES (\(recipientID), next_inbox_seq(\(recipientID)), 'recall', \(senderID), \(messageID))
                """,
                logger: database.logger
            )
            return notice
        }
    }

    /// The conversation of `userID` with `peerID`, newest first: at most `limit` messages older than
    /// message `beforeID`, and whether older ones remain. Recalled messages come marked, emptied.
    func history(of userID: Int, with peerID: Int, before beforeID: Int, limit: Int) async throws -> (messages: [Message], more: Bool) {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Message.columns) FROM messages m
            WHERE LEAST(m.from_id, m.to_id) = LEAST(\(userID), \(peerID)::bigint)
                AND GREATEST(m.from_id, m.to_id) = GREATEST(\(userID), \(peerID)::bigint)
                AND m.id < \(beforeID)
            ORDER BY LEAST(m.from_id, m.to_id), GREATEST(m.from_id, m.to_id), m.id DESC
            LIMIT \(limit + 1)
            """
        )
        var messages = try rows.collect().map { row in
            var columns = ColumnReader(row)
            return try Message(reading: &columns)
        }
        let more = messages.count > limit
        if more { messages.removeLast() }
        return (messages, more)
    }

    /// The conversations of `userID`, the most recent first, at most `limit`.
    func conversations(of userID: Int, limit: Int) async throws -> [Conversation] {
        let rows = try await database.query(
            """
            SELECT c.peer_id, u.username, COALESCE(NULLIF(f.nickname, ''), NULLIF(u.nickname, ''), u.username), u.avatar,
                c.read_seq, COALESCE(pc.read_message_id, 0), unread_messages(c.user_id, c.peer_id, c.read_seq),
                \(unescaped: Message.columns)
            FROM conversations c
            JOIN users u ON u.id = c.peer_id
            LEFT JOIN friends f ON f.user_id = c.user_id AND f.friend_id = c.peer_id
            LEFT JOIN conversations pc ON pc.user_id = c.peer_id AND pc.peer_id = c.user_id
            JOIN LATERAL (
                SELECT * FROM messages lm
                WHERE LEAST(lm.from_id, lm.to_id) = LEAST(c.user_id, c.peer_id)
                    AND GREATEST(lm.from_id, lm.to_id) = GREATEST(c.user_id, c.peer_id)
                ORDER BY LEAST(lm.from_id, lm.to_id), GREATEST(lm.from_id, lm.to_id), lm.id DESC
                LIMIT 1
            ) m ON true
            WHERE c.user_id = \(userID)
            ORDER BY m.id DESC
            LIMIT \(limit)
            """
        )
        return try rows.collect().map { row in
            var columns = ColumnReader(row)
            return Conversation(
                peer: ConversationPeer(id: try columns.next(), username: try columns.next(), name: try columns.next(), avatar: try columns.next()),
                readSeq: try columns.next(),
                peerReadID: try columns.next(),
                unread: try columns.next(),
                lastMessage: try Message(reading: &columns)
            )
        }
    }

    /// Marks `userID`'s conversation with `peerID` read up to `seq` of its inbox (never backwards, never
    /// past its last number). When that reaches a message not read before, `peerID`'s inbox gets a
    /// `read` entry naming it, returned for the caller to nudge. `nil` when there is no such conversation.
    func markRead(by userID: Int, with peerID: Int, upTo seq: Int) async throws -> ReadOutcome? {
        try await database.transaction { connection in
            let rows = try await connection.query(
                """
                WITH target AS (
                    SELECT c.read_seq, c.read_message_id,
                        GREATEST(c.read_seq, LEAST(\(seq), COALESCE(b.last_seq, 0))) AS new_seq
                    FROM conversations c LEFT JOIN mailboxes b ON b.user_id = c.user_id
                    WHERE c.user_id = \(userID) AND c.peer_id = \(peerID)
                    FOR UPDATE OF c
                ), reached AS (
                    SELECT t.new_seq, GREATEST(t.read_message_id, COALESCE(
                        (SELECT max(i.message_id) FROM inbox i
                         WHERE i.user_id = \(userID) AND i.peer_id = \(peerID) AND i.kind = 'message' AND i.seq <= t.new_seq),
                        0)) AS new_message_id, t.read_message_id AS old_message_id
                    FROM target t
                ), updated AS (
                    UPDATE conversations c SET read_seq = r.new_seq, read_message_id = r.new_message_id
                    FROM reached r WHERE c.user_id = \(userID) AND c.peer_id = \(peerID)
                )
                SELECT new_seq, new_message_id, old_message_id, unread_messages(\(userID), \(peerID), new_seq)
                FROM reached
                """,
                logger: database.logger
            )
            var outcome: ReadOutcome?
            var reachedNew = false
            for try await (readSeq, messageID, previousID, unread) in rows.decode((Int, Int, Int, Int).self) {
                outcome = ReadOutcome(toID: peerID, seq: readSeq, unread: unread)
                reachedNew = messageID > previousID
                if reachedNew { outcome?.notice = MessageNotice(fromID: userID, toID: peerID, chatType: .user, id: messageID) }
            }
            if reachedNew, let notice = outcome?.notice {
                try await connection.query(
                    """
                    INSERT INTO inbox (user_id, seq, kind, peer_id, message_id)
                    VALUES (\(peerID), next_inbox_seq(\(peerID)), 'read', \(userID), \(notice.id))
                    """,
                    logger: database.logger
                )
            }
            return outcome
        }
    }
}
