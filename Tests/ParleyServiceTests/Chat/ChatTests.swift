import Foundation
import Testing
@testable import ParleyService

/// `POST /chat/send`, `/chat/getmessage` and `/chat/recall` against the real PostgreSQL; delivery to
/// sockets across nodes is tested in Tests/cluster/test_chat.py.
@Suite("Chat routes")
struct ChatTests {
    static let messageKeys: Set<String> = [
        "id", "from_id", "from_name", "from_avatar", "to_id", "to_name", "to_avatar", "chat_type", "type", "data",
        "options", "create_time", "isremove",
    ]

    @Test func sendAnswersTheStoredMessage() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            let answer = try await client.post(
                "/chat/send",
                ["to_id": String(friend.id), "chat_type": "user", "type": "text", "data": "你好", "options": #"{"w":1}"#],
                token: me.token
            )
            #expect(answer.status == .ok)
            #expect(answer.data.keys == Self.messageKeys)
            #expect(answer.data["from_id"].int == me.id)
            #expect(answer.data["to_id"].int == friend.id)
            #expect(answer.data["from_name"].string == me.username)
            #expect(answer.data["to_name"].string == friend.username)
            #expect(answer.data["options"] == .object(["w": .integer(1)]))
            #expect(answer.data["isremove"].int == 0)
            let sent = try #require(answer.data["create_time"].int)
            #expect(abs(Double(sent) / 1000 - Date().timeIntervalSince1970) < 60)

            let second = try await client.post(
                "/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "image", "data": "x.png"], token: me.token
            )
            #expect(try #require(second.data["id"].int) > (answer.data["id"].int ?? .max))
            #expect(second.data["options"] == .object([:]))
        }
    }

    @Test func fromNameIsTheRecipientsRemarkForMe() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            // The friend asks with a remark for me; I agree with a remark for them.
            let apply = try await client.apply(from: friend, to: me, nickname: "老同学")
            _ = try await client.handle(apply, as: me, nickname: "小王")
            let answer = try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": "hi"], token: me.token)
            #expect(answer.data["from_name"].string == "老同学")
            #expect(answer.data["to_name"].string == "小王")
        }
    }

    @Test func refusesStrangersBlacklistsAndDisabledRecipients() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let stranger = try await client.signUp()
            let body: (Account) -> [String: Any] = { ["to_id": $0.id, "chat_type": "user", "type": "text", "data": "hi"] }
            let toStranger = try await client.post("/chat/send", body(stranger), token: me.token)
            #expect(toStranger.status == .badRequest)
            #expect(toStranger.data.string == "对方不存在或者已经把你拉黑")
            #expect(toStranger.code == "not_friend")

            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            _ = try await client.post("/friend/setblack/\(me.id)", ["isblack": 1], token: friend.token)
            let blacklisted = try await client.post("/chat/send", body(friend), token: me.token)
            #expect(blacklisted.code == "not_friend")

            let other = try await client.signUp()
            try await client.befriend(me, other)
            try await withTestDatabase { try await $0.setStatus(userID: other.id, 0) }
            let disabled = try await client.post("/chat/send", body(other), token: me.token)
            #expect(disabled.status == .badRequest)
            #expect(disabled.data.string == "对方已被禁用")
            #expect(disabled.code == "recipient_disabled")
        }
    }

    @Test(arguments: [
        ([:], "接收人ID不能为空"),
        (["to_id": "abc"], "接收人ID 的值 `abc` 的类型不是 `int`"),
        (["to_id": 1], "聊天类型不能为空"),
        (["to_id": 1, "chat_type": "group"], "聊天类型 的值 `group` 必须在 [`user`] 中"),
        (["to_id": 1, "chat_type": "user", "type": "system"], "消息类型 的值 `system` 必须在 [`text`、`image`、`video`、`audio`、`emoticon`、`card`] 中"),
        (["to_id": 1, "chat_type": "user", "type": "text"], "消息内容不能为空"),
        (["to_id": 1, "chat_type": "user", "type": "text", "data": String(repeating: "长", count: 4001)], "消息内容 的长度 必须 在 1 和 4000 之间"),
        (["to_id": 1, "chat_type": "user", "type": "text", "data": "x", "options": "[1]"], "消息选项 的值 `[1]` 的类型不是 `object`"),
        (["to_id": 1, "chat_type": "user", "type": "text", "data": "x", "options": 5], "消息选项 的值 `5` 的类型不是 `object`"),
    ] as [([String: any Sendable], String)])
    func validatesSend(fields: [String: any Sendable], text: String) async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.post("/chat/send", fields, token: me.token)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.code == "validation_failed")
            #expect(answer.data.string == text)
        }
    }

    @Test func getMessageCountsWhatWaitsIncludingTheGreetings() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            for text in ["a", "b", "c"] {
                _ = try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": text], token: me.token)
            }
            // The greeting of the new friendship, then the three messages: none delivered without a socket.
            let waiting = try await client.post("/chat/getmessage", token: friend.token)
            #expect(waiting.status == .ok)
            #expect(waiting.data.int == 4)
            let mine = try await client.post("/chat/getmessage", token: me.token)
            #expect(mine.data.int == 1)
            let greeting = try await withTestDatabase { database in
                try await database.query(
                    "SELECT type, data, from_id FROM messages WHERE to_id = \(friend.id) ORDER BY id LIMIT 1"
                ).decode((String, String, Int).self).all().first
            }
            #expect(greeting?.0 == "system")
            #expect(greeting?.1 == "你们已经是好友，可以开始聊天啦")
            #expect(greeting?.2 == me.id)
        }
    }

    @Test func recallsOnlyMyOwnRecentMessages() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            let sent = try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": "oops"], token: me.token)
            let id = try #require(sent.data["id"].int)

            // Someone else's message of the conversation: forbidden (API.md §4).
            let theirs = try await client.post("/chat/recall", ["to_id": me.id, "chat_type": "user", "id": id], token: friend.token)
            #expect(theirs.status == .forbidden)
            #expect(theirs.code == "forbidden")
            // A message of another conversation: not found, so a stranger cannot learn who received
            // which message id by trying recipients (issue 15).
            let other = try await client.signUp()
            let stranger = try await client.post("/chat/recall", ["to_id": friend.id, "chat_type": "user", "id": id], token: other.token)
            #expect(stranger.status == .notFound)
            let unrelated = try await client.post("/chat/recall", ["to_id": other.id, "chat_type": "user", "id": id], token: other.token)
            #expect(unrelated.status == .notFound)

            let recalled = try await client.post("/chat/recall", ["to_id": friend.id, "chat_type": "user", "id": id], token: me.token)
            #expect(recalled.status == .ok)
            #expect(recalled.data == .object([
                "from_id": .integer(Int64(me.id)), "to_id": .integer(Int64(friend.id)), "chat_type": .string("user"), "id": .integer(Int64(id)),
            ]))
            // The greeting and the recall wait for the friend; the recalled message is never pushed.
            #expect(try await client.post("/chat/getmessage", token: friend.token).data.int == 2)

            let old = try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": "old"], token: me.token)
            let oldID = try #require(old.data["id"].int)
            try await withTestDatabase { database in
                _ = try await database.query("UPDATE messages SET created_at = now() - interval '3 minutes' WHERE id = \(oldID)").all()
            }
            let expired = try await client.post("/chat/recall", ["to_id": friend.id, "chat_type": "user", "id": oldID], token: me.token)
            #expect(expired.status == .badRequest)
            #expect(expired.code == "recall_expired")

            let missing = try await client.post("/chat/recall", ["to_id": friend.id, "chat_type": "user", "id": 999_999_999], token: me.token)
            #expect(missing.status == .notFound)
        }
    }
}
