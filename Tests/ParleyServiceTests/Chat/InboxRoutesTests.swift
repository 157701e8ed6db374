import Foundation
import Testing
@testable import ParleyService

/// `GET /chat/sync`, `/chat/history/:friend_id`, `/chat/conversations` and `POST /chat/read`
/// (docs/api.md §7) against the real PostgreSQL; pushing the inbox to sockets is tested through real
/// nodes in Tests/cluster/test_inbox.py.
@Suite("Inbox routes")
struct InboxRoutesTests {
    func send(_ text: String, from sender: Account, to recipient: Account, _ client: ParleyClient) async throws -> Int {
        let answer = try await client.post("/chat/send", ["to_id": recipient.id, "chat_type": "user", "type": "text", "data": text], token: sender.token)
        guard let id = answer.data["id"].int else { throw TestFailure("send failed: \(answer)") }
        return id
    }

    @Test func syncListsTheInboxInOrderWithRecallsApplied() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            let first = try await send("one", from: me, to: friend, client)
            let second = try await send("two", from: me, to: friend, client)
            let third = try await send("three", from: me, to: friend, client)
            _ = try await client.post("/chat/recall", ["to_id": friend.id, "chat_type": "user", "id": second], token: me.token)

            let all = try await client.get("/chat/sync", token: friend.token)
            #expect(all.status == .ok)
            let entries = all.data["entries"].array ?? []
            #expect(entries.map { $0["seq"].int } == [1, 2, 3, 4, 5], "numbered from 1, no gaps")
            #expect(entries.map { $0["msg"].string } == ["ok", "ok", "ok", "ok", "recall"])
            #expect(entries[0]["data"]["data"].string == "你们已经是好友，可以开始聊天啦")
            #expect(entries[1]["data"]["id"].int == first)
            #expect(entries[1]["data"]["data"].string == "one")
            #expect(entries[2]["data"]["id"].int == second)
            #expect(entries[2]["data"]["isremove"].int == 1, "recalled")
            #expect(entries[2]["data"]["data"].string == "", "its content gone")
            #expect(entries[3]["data"]["id"].int == third)
            #expect(entries[4]["data"] == .object([
                "from_id": .integer(Int64(me.id)), "to_id": .integer(Int64(friend.id)), "chat_type": .string("user"), "id": .integer(Int64(second)),
            ]))
            #expect(all.data["last_seq"].int == 5)
            #expect(all.data["more"] == .bool(false))

            let page = try await client.get("/chat/sync?after=2&limit=2", token: friend.token)
            #expect(page.data["entries"].array?.map { $0["seq"].int } == [3, 4])
            #expect(page.data["more"] == .bool(true))
            let end = try await client.get("/chat/sync?after=5", token: friend.token)
            #expect(end.data["entries"] == .array([]))
            #expect(end.data["more"] == .bool(false))

            let stranger = try await client.signUp()
            let empty = try await client.get("/chat/sync", token: stranger.token)
            #expect(empty.data == .object(["entries": .array([]), "last_seq": .integer(0), "more": .bool(false)]))
        }
    }

    @Test(arguments: ["after=-1", "after=x", "limit=0", "limit=501"])
    func syncRefusesBadParameters(query: String) async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.get("/chat/sync?\(query)", token: me.token)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.code == "validation_failed")
        }
    }

    @Test func historyPagesAConversationBackwards() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            var ids: [Int] = []
            for index in 0..<4 {
                ids.append(try await send("m\(index)", from: index.isMultiple(of: 2) ? me : friend, to: index.isMultiple(of: 2) ? friend : me, client))
            }
            let newest = try await client.get("/chat/history/\(friend.id)?limit=3", token: me.token)
            #expect(newest.status == .ok)
            #expect(newest.data["rows"].array?.map { $0["id"].int } == ids.reversed().prefix(3).map { $0 })
            #expect(newest.data["more"] == .bool(true))
            // The rest: the oldest message and the two greetings of the new friendship.
            let older = try await client.get("/chat/history/\(friend.id)?before=\(ids[1])&limit=3", token: me.token)
            let rows = older.data["rows"].array ?? []
            #expect(rows.first?["id"].int == ids[0])
            #expect(rows.dropFirst().allSatisfy { $0["type"].string == "system" })
            #expect(older.data["more"] == .bool(false))
            // The friend sees the same conversation.
            let theirs = try await client.get("/chat/history/\(me.id)?limit=1", token: friend.token)
            #expect(theirs.data["rows"].array?.first?["id"].int == ids[3])

            let stranger = try await client.signUp()
            let none = try await client.get("/chat/history/\(friend.id)", token: stranger.token)
            #expect(none.data == .object(["rows": .array([]), "more": .bool(false)]))
            #expect(try await client.get("/chat/history/x", token: me.token).status == .unprocessableContent)
        }
    }

    @Test func readStateMovesUnreadCountsAndTellsTheSender() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            // The friend's inbox: 1 the greeting, 2–4 my messages.
            _ = try await send("a", from: me, to: friend, client)
            let second = try await send("b", from: me, to: friend, client)
            _ = try await send("c", from: me, to: friend, client)

            let before = try await client.get("/chat/conversations", token: friend.token)
            let row = try #require(before.data.array?.first)
            #expect(row["peer"]["id"].int == me.id)
            #expect(row["peer"]["name"].string == me.username)
            #expect(row["unread"].int == 4)
            #expect(row["read_seq"].int == 0)
            #expect(row["last_message"]["data"].string == "c")

            let read = try await client.post("/chat/read", ["to_id": me.id, "seq": 3], token: friend.token)
            #expect(read.status == .ok)
            #expect(read.data == .object(["to_id": .integer(Int64(me.id)), "seq": .integer(3), "unread": .integer(1)]))
            // I learn it: a `read` entry in my inbox (after the friend's greeting), and the conversation list.
            let mine = try await client.get("/chat/sync?after=1", token: me.token)
            #expect(mine.data["entries"].array?.map { $0["msg"].string } == ["read"])
            #expect(mine.data["entries"].array?.first?["data"] == .object([
                "from_id": .integer(Int64(friend.id)), "to_id": .integer(Int64(me.id)), "chat_type": .string("user"), "id": .integer(Int64(second)),
            ]))
            let myList = try await client.get("/chat/conversations", token: me.token)
            #expect(myList.data.array?.first?["peer_read_id"].int == second)

            // Never backwards, never past the inbox's end; reading again tells nobody.
            let back = try await client.post("/chat/read", ["to_id": me.id, "seq": 1], token: friend.token)
            #expect(back.data["seq"].int == 3)
            let past = try await client.post("/chat/read", ["to_id": me.id, "seq": 99], token: friend.token)
            #expect(past.data["seq"].int == 4)
            #expect(past.data["unread"].int == 0)
            _ = try await client.post("/chat/read", ["to_id": me.id, "seq": 99], token: friend.token)
            #expect(try await client.get("/chat/sync?after=1", token: me.token).data["entries"].array?.count == 2)

            let stranger = try await client.signUp()
            let none = try await client.post("/chat/read", ["to_id": stranger.id, "seq": 1], token: friend.token)
            #expect(none.status == .notFound)
            #expect(none.code == "not_found")
            let negative = try await client.post("/chat/read", ["to_id": me.id, "seq": -1], token: friend.token)
            #expect(negative.status == .unprocessableContent)
        }
    }

    @Test func optionsAreBoundedLikeData() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            let body: (String) -> [String: Any] = { ["to_id": friend.id, "chat_type": "user", "type": "text", "data": "hi", "options": ["note": $0]] }
            // {"note":"…"} is 11 bytes around the text.
            let fits = try await client.post("/chat/send", body(String(repeating: "x", count: 4096 - 11)), token: me.token)
            #expect(fits.status == .ok)
            let over = try await client.post("/chat/send", body(String(repeating: "x", count: 4096 - 10)), token: me.token)
            #expect(over.status == .unprocessableContent)
            #expect(over.data.string == "消息选项 的长度 必须 在 0 和 4096 之间")
        }
    }
}
