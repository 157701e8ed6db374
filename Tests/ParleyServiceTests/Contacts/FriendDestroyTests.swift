import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

@Suite("POST /friend/destroy and GET /tag/read/:id (docs/api.md §4)")
struct FriendDestroyTests {
    @Test func removesBothDirectionsAndTheTagsButKeepsMessages() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["tags": "家人"], token: me.token).status == .ok)
            #expect(try await client.post("/chat/send", ["to_id": friend.id, "chat_type": "user", "type": "text", "data": "hi"], token: me.token).status == .ok)

            let answer = try await client.post("/friend/destroy", ["friend_id": friend.id], token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data.string == "ok")
            #expect(try await withTestDatabase { try await $0.friendRows(between: me.id, and: friend.id) }.isEmpty)
            #expect(try await client.get("/friend/list", token: friend.token).data["count"].int == 0)
            #expect(try await client.get("/tag/list", token: me.token).data[0]["name"].string == "家人")
            let messages = try await withTestDatabase { database in
                try await database.query("SELECT count(*) FROM messages WHERE from_id = \(me.id) AND type = 'text'").decode(Int.self).all().first
            }
            #expect(messages == 1)
            let send = try await client.post("/chat/send", ["to_id": me.id, "chat_type": "user", "type": "text", "data": "hi"], token: friend.token)
            #expect(send.code == "not_friend")

            expectFailure(try await client.post("/friend/destroy", ["friend_id": friend.id], token: me.token), .notFound, "该记录不存在", code: "not_found")
        }
    }

    @Test func requiresAFriendID() async throws {
        try await expectValidationFailure("/friend/destroy", text: "好友ID不能为空")
        try await expectValidationFailure("/friend/destroy", fields: ["friend_id": "x"], text: "好友ID 的值 `x` 的类型不是 `int`")
    }

    @Test func readsTheFriendsUnderOneOfMyTags() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let (zed, amy, other) = (try await client.signUp(), try await client.signUp(), try await client.signUp())
            for friend in [zed, amy, other] { try await client.befriend(me, friend) }
            _ = try await client.post("/friend/setremarktag/\(zed.id)", ["nickname": "Zed", "tags": "家人,同事"], token: me.token)
            _ = try await client.post("/friend/setremarktag/\(amy.id)", ["nickname": "Amy", "tags": "家人"], token: me.token)
            _ = try await client.post("/friend/setremarktag/\(other.id)", ["tags": "同事"], token: me.token)
            let tags = try await client.get("/tag/list", token: me.token).data.array ?? []
            let family = try #require(tags.first { $0["name"].string == "家人" }?["id"].int)

            let answer = try await client.get("/tag/read/\(family)", token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data["id"].int == family)
            #expect(answer.data["name"].string == "家人")
            #expect(answer.data["list"].array?.map { $0["name"].string } == ["Amy", "Zed"])
            #expect(answer.data["list"][0].keys == ["id", "user_id", "name", "username", "avatar", "star", "isblack"])

            // Somebody else's tag, or none, is no record of mine.
            expectFailure(try await client.get("/tag/read/\(family)", token: zed.token), .notFound, "该记录不存在", code: "not_found")
            expectFailure(try await client.get("/tag/read/999999999", token: me.token), .notFound, "该记录不存在", code: "not_found")
        }
        try await expectValidationFailure("/tag/read/x", method: .get, text: "标签ID 的值 `x` 的类型不是 `int`")
    }
}
