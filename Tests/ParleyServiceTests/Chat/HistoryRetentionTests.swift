import Foundation
import Testing
@testable import ParleyService

/// `PARLEY_HISTORY_DAYS` (docs/api.md §7): old messages go, with their inbox entries, one node at a
/// time. Serialized: each test ages messages that the other's pass would delete.
@Suite("History retention", .serialized)
struct HistoryRetentionTests {
    @Test func messagesOlderThanTheRetentionGoWithTheirInboxEntries() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            var sent: [Int] = []
            for text in ["old", "older", "new"] {
                let answer = try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": text], token: me.token)
                sent.append(try #require(answer.data["id"].int))
            }
            let ids = sent
            try await withTestDatabase { database in
                _ = try await database.query(
                    "UPDATE messages SET created_at = now() - interval '31 days' WHERE id = ANY(\(Array(ids.prefix(2))))"
                ).all()
                let retention = HistoryRetention(database: database, days: 30, logger: TestEnvironment.logger)
                #expect(try await retention.prune() >= 2)
                let left = try await database.query("SELECT count(*) FROM messages WHERE id = ANY(\(ids))").decode(Int.self).all()
                #expect(left == [1])
            }
            // The friend's inbox keeps the greeting and the new message; the numbers jump where entries went.
            let synced = try await client.get("/chat/sync", token: friend.token)
            #expect(synced.data["entries"].array?.map { $0["seq"].int } == [1, 4])
            #expect(synced.data["last_seq"].int == 4)
        }
    }

    @Test func oneNodeAtATime() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            let answer = try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": "old"], token: me.token)
            let id = try #require(answer.data["id"].int)
            try await withTestDatabase { database in
                _ = try await database.query("UPDATE messages SET created_at = now() - interval '31 days' WHERE id = \(id)").all()
                let retention = HistoryRetention(database: database, days: 30, logger: TestEnvironment.logger)
                try await database.transaction { connection in
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(\(HistoryRetention.advisoryLockKey))", logger: database.logger).collect()
                    // Another node holds the lock: this one deletes nothing, and does not wait for it.
                    #expect(try await retention.prune() == 0)
                }
                #expect(try await retention.prune() >= 1, "once the lock is free")
            }
        }
    }
}
