import Testing
@testable import ParleyService

@Suite("GET /friend/read/:id")
struct FriendReadTests {
    @Test func readsAStrangerAsAProfileWithFriendFalse() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let stranger = try await client.signUp()
            let answer = try await client.get("/friend/read/\(stranger.id)", token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data.keys == profileKeys.union(["friend"]))
            #expect(answer.data["friend"].bool == false)
            #expect(answer.data["id"].int == stranger.id)
            // No nickname: the username stands in.
            #expect(answer.data["nickname"].string == stranger.username)
            #expect(answer.data["sex"].string == "保密")

            try await withTestDatabase { try await $0.setNickname(userID: stranger.id, "陌生人") }
            let nicknamed = try await client.get("/friend/read/\(stranger.id)", token: me.token)
            #expect(nicknamed.data["nickname"].string == "陌生人")
        }
    }

    @Test func readsAFriendWithMySideOfTheFriendship() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await withTestDatabase { try await $0.setNickname(userID: friend.id, "小明") }
            let applyID = try await client.apply(from: friend, to: me)
            #expect(try await client.handle(applyID, as: me, lookme: 0, lookhim: 1).status == .ok)

            let plain = try await client.get("/friend/read/\(friend.id)", token: me.token)
            #expect(plain.status == .ok)
            #expect(plain.data.keys == profileKeys.union(["friend", "lookme", "lookhim", "star", "isblack", "tags", "moments"]))
            #expect(plain.data["friend"].bool == true)
            #expect(plain.data["nickname"].string == "小明")
            #expect(plain.data["lookme"].int == 0)
            #expect(plain.data["lookhim"].int == 1)
            #expect(plain.data["star"].int == 0)
            #expect(plain.data["isblack"].int == 0)
            #expect(plain.data["tags"] == .array([]))
            #expect(plain.data["moments"] == .array([]))

            let set = try await client.post(
                "/friend/setremarktag/\(friend.id)", ["nickname": "明哥", "tags": "同学,家人"], token: me.token
            )
            #expect(set.status == .ok)
            let remarked = try await client.get("/friend/read/\(friend.id)", token: me.token)
            #expect(remarked.data["nickname"].string == "明哥")
            #expect(remarked.data["tags"] == .array([.string("同学"), .string("家人")]))

            // Their view of me is their own row: no remark, no tags.
            let theirs = try await client.get("/friend/read/\(me.id)", token: friend.token)
            #expect(theirs.data["friend"].bool == true)
            #expect(theirs.data["nickname"].string == me.username)
            #expect(theirs.data["tags"] == .array([]))
        }
    }

    @Test func refusesUnknownAndDisabledUsers() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            try await withTestDatabase { try await $0.setStatus(userID: friend.id, 0) }
            for id in [999_999_999, friend.id] {
                let answer = try await client.get("/friend/read/\(id)", token: me.token)
                expectFailure(answer, .notFound, "用户不存在", code: "user_not_found")
            }
        }
    }

    @Test(arguments: [
        ("/friend/read/x", "好友ID 的值 `x` 的类型不是 `int`"),
        ("/friend/read/1.5", "好友ID 的值 `1.5` 的类型不是 `int`"),
        ("/friend/read/0", "好友ID 的值 `0` 必须 大于等于 1"),
        ("/friend/read/99999999999999999999", "好友ID 的值 `99999999999999999999` 的类型不是 `int`"),
    ])
    func refusesBadIDsWith422(path: String, text: String) async throws {
        try await expectValidationFailure(path, method: .get, text: text)
    }
}
