import Testing
@testable import ParleyService

@Suite("POST /friend/setblack, setstar, setmomentauth")
struct FriendSettingsTests {
    @Test func changesMyRowOnly() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)

            let star = try await client.post("/friend/setstar/\(friend.id)", ["star": "1"], token: me.token)
            #expect(star.status == .ok)
            #expect(star.body == .object(["msg": .string("ok"), "data": .string("ok")]))
            let auth = try await client.post("/friend/setmomentauth/\(friend.id)", ["lookme": 0, "lookhim": "0"], token: me.token)
            #expect(auth.status == .ok)
            #expect(auth.data.string == "ok")
            let mine = try await client.get("/friend/read/\(friend.id)", token: me.token)
            #expect(mine.data["star"].int == 1)
            #expect(mine.data["lookme"].int == 0)
            #expect(mine.data["lookhim"].int == 0)

            let black = try await client.post("/friend/setblack/\(friend.id)", ["isblack": 1], token: me.token)
            #expect(black.status == .ok)
            #expect(black.data.string == "ok")
            #expect(try await client.get("/friend/read/\(friend.id)", token: me.token).data["isblack"].int == 1)

            let theirs = try await client.get("/friend/read/\(me.id)", token: friend.token)
            #expect(theirs.data["star"].int == 0)
            #expect(theirs.data["isblack"].int == 0)
            #expect(theirs.data["lookme"].int == 1)
        }
    }

    @Test func refusesBlacklistedFriendsExceptToUnblacklistThem() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            #expect(try await client.post("/friend/setblack/\(friend.id)", ["isblack": 1], token: me.token).status == .ok)

            let refused = [
                try await client.post("/friend/setstar/\(friend.id)", ["star": 1], token: me.token),
                try await client.post("/friend/setmomentauth/\(friend.id)", ["lookme": 1, "lookhim": 1], token: me.token),
                try await client.post("/friend/setremarktag/\(friend.id)", ["nickname": "x", "tags": "a"], token: me.token),
            ]
            for answer in refused {
                expectFailure(answer, .notFound, "该记录不存在", code: "not_found")
            }
            // Blacklisting me does not stop the friend from starring me on their own row.
            #expect(try await client.post("/friend/setstar/\(me.id)", ["star": 1], token: friend.token).status == .ok)

            #expect(try await client.post("/friend/setblack/\(friend.id)", ["isblack": 1], token: me.token).status == .ok)
            #expect(try await client.post("/friend/setblack/\(friend.id)", ["isblack": 0], token: me.token).status == .ok)
            #expect(try await client.post("/friend/setstar/\(friend.id)", ["star": 1], token: me.token).status == .ok)
        }
    }

    @Test(arguments: ["setblack", "setstar", "setmomentauth", "setremarktag"])
    func refusesSomeoneWhoIsNotMyFriend(route: String) async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let stranger = try await client.signUp()
            _ = try await client.apply(from: me, to: stranger)
            let fields: [String: Any] = ["isblack": 1, "star": 1, "lookme": 1, "lookhim": 1, "tags": ""]
            for id in [stranger.id, 999_999_999] {
                let answer = try await client.post("/friend/\(route)/\(id)", fields, token: me.token)
                expectFailure(answer, .notFound, "该记录不存在", code: "not_found")
            }
        }
    }

    @Test(arguments: [
        ("/friend/setblack/1", [:], "黑名单不能为空"),
        ("/friend/setblack/1", ["isblack": 2], "黑名单 的值 `2` 必须在 [`0`、`1`] 中"),
        ("/friend/setstar/1", ["star": "yes"], "星标 的值 `yes` 的类型不是 `int`"),
        ("/friend/setmomentauth/1", ["lookme": 1], "看他不能为空"),
        ("/friend/setmomentauth/1", ["lookme": -1, "lookhim": 1], "允许他看我 的值 `-1` 必须在 [`0`、`1`] 中"),
        ("/friend/setstar/abc", ["star": 1], "好友ID 的值 `abc` 的类型不是 `int`"),
        ("/friend/setblack/0", ["isblack": 1], "好友ID 的值 `0` 必须 大于等于 1"),
    ] as [(String, [String: any Sendable], String)])
    func validates(path: String, fields: [String: any Sendable], text: String) async throws {
        try await expectValidationFailure(path, fields: fields, text: text)
    }
}
