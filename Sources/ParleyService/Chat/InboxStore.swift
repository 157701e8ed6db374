import Foundation
import PostgresNIO

/// The SQL for reading accounts' inboxes (see ``MessageStore`` for what writes them) and for their
/// delivery cursors: how far each account's sockets have received its inbox.
struct InboxStore: Sendable {
    let database: Database

    /// An inbox entry's columns, then its message's (``Message/columns``), as ``entry(reading:)`` reads them.
    static let columns = "i.seq, i.kind, i.peer_id, " + Message.columns

    /// What `/chat/getmessage` answers: the entries past the cursor that a socket of the old client
    /// is pushed (no `read` entries; a recalled message is replaced by its recall).
    func pendingCount(for userID: Int) async throws -> Int {
        let rows = try await database.query(
            """
            SELECT count(*) FROM inbox i JOIN messages m ON m.id = i.message_id
            WHERE i.user_id = \(userID)
                AND i.seq > COALESCE((SELECT delivered_seq FROM delivery_cursors WHERE user_id = \(userID)), 0)
                AND (i.kind = 'recall' OR (i.kind = 'message' AND m.recalled_at IS NULL))
            """
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Up to `limit` entries of `userID`'s inbox past both its delivery cursor and `after` (what a
    /// socket was already sent), in order — or `nil` when the session `sessionID` no longer lets its
    /// socket receive them (revoked, expired, its user disabled): they then wait for the account's
    /// current socket. One query either way, so a socket whose kick was lost never takes what is
    /// meant for its successor. Also returns the delivery cursor.
    func pending(for userID: Int, session sessionID: UUID, after: Int, limit: Int) async throws -> (cursor: Int, entries: [InboxEntry])? {
        try await read(userID, after: after, limit: limit, session: sessionID).map { ($0.cursor, $0.entries) }
    }

    /// Up to `limit` entries of `userID`'s inbox after `after`, in order, and the inbox's last number.
    func entries(of userID: Int, after: Int, limit: Int) async throws -> (entries: [InboxEntry], lastSeq: Int) {
        let reading = try await read(userID, after: after, limit: limit, session: nil)
        return (reading?.entries ?? [], reading?.lastSeq ?? 0)
    }

    /// The inbox past `after` — and, for a session's socket, past the delivery cursor too, and only
    /// while the session is active (else `nil`) — with the cursor and the last number.
    private func read(_ userID: Int, after: Int, limit: Int, session sessionID: UUID?) async throws -> (cursor: Int, lastSeq: Int, entries: [InboxEntry])? {
        let rows = try await database.execute(ReadInbox(userID: userID, sessionID: sessionID, after: after, limit: limit))
        var (cursor, lastSeq) = (0, 0)
        var entries: [InboxEntry] = []
        for row in rows {
            var columns = ColumnReader(row)
            guard try columns.next(Bool.self) else { return nil }
            cursor = try columns.next()
            lastSeq = try columns.next()
            // Nothing past `after`: the one row, with no entry.
            guard row.makeRandomAccess()[3].bytes != nil else { break }
            entries.append(try Self.entry(reading: &columns))
        }
        return (cursor, lastSeq, entries)
    }

    private static func entry(reading columns: inout ColumnReader) throws -> InboxEntry {
        let seq: Int = try columns.next()
        let kind: String = try columns.next()
        let peerID: Int = try columns.next()
        let message = try Message(reading: &columns)
        let event: InboxEntry.Event
        switch kind {
        case "recall":
            event = .recall(MessageNotice(fromID: message.fromID, toID: message.toID, chatType: message.chatType, id: message.id))
        case "read":
            // The entry's account sent the message; its peer read it.
            event = .read(MessageNotice(fromID: peerID, toID: message.fromID, chatType: message.chatType, id: message.id))
        default:
            event = .message(message)
        }
        return InboxEntry(seq: seq, event: event)
    }

    /// Moves delivery cursors forward to what the accounts' sockets received (never backwards).
    func recordDelivery(_ received: [(userID: Int, seq: Int)]) async throws {
        guard !received.isEmpty else { return }
        _ = try await database.query(
            """
            INSERT INTO delivery_cursors AS c (user_id, delivered_seq)
            SELECT user_id, max(seq) FROM unnest(\(received.map(\.userID)), \(received.map(\.seq))) AS r (user_id, seq)
            GROUP BY user_id ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET delivered_seq = GREATEST(c.delivered_seq, EXCLUDED.delivered_seq)
            """
        ).collect()
    }
}
