import Testing
@testable import ParleyService

@Suite("POST /friend/setremarktag/:id and GET /tag/list")
struct RemarkTagTests {
    @Test func takesTagsAsACommaSeparatedString() async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            let answer = try await client.post(
                "/friend/setremarktag/\(friend.id)", ["nickname": "阿强", "tags": " 家人, 同事,家人,,老乡，同学 "], token: me.token
            )
            #expect(answer.status == .ok)
            #expect(answer.body == .object(["msg": .string("ok"), "data": .string("ok")]))
            let read = try await client.get("/friend/read/\(friend.id)", token: me.token)
            #expect(read.data["nickname"].string == "阿强")
            #expect(read.data["tags"] == strings(["同事", "同学", "家人", "老乡"]))
        }
    }

    @Test func takesTagsAsAJSONArrayOrRepeatedFormKeys() async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            let json = try await client.post("/friend/setremarktag/\(friend.id)", ["tags": ["b", "a", "a"]], token: me.token)
            #expect(json.status == .ok)
            #expect(try await tags(client, me, friend) == strings(["a", "b"]))

            let form = try await client.postForm(
                "/friend/setremarktag/\(friend.id)", "tags=c&tags=%E5%AE%B6%E4%BA%BA&tags=a", token: me.token
            )
            #expect(form.status == .ok)
            #expect(try await tags(client, me, friend) == strings(["a", "c", "家人"]))

            let single = try await client.postForm("/friend/setremarktag/\(friend.id)", "tags=x,y", token: me.token)
            #expect(single.status == .ok)
            #expect(try await tags(client, me, friend) == strings(["x", "y"]))
        }
    }

    @Test func replacesClearsAndKeepsUnusedTagsInTheList() async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            let other = try await client.signUp()
            try await client.befriend(me, other)
            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["tags": "家人,同事"], token: me.token).status == .ok)
            #expect(try await client.post("/friend/setremarktag/\(other.id)", ["tags": ["家人"]], token: me.token).status == .ok)

            let list = try await client.get("/tag/list", token: me.token)
            #expect(list.status == .ok)
            let listed = try #require(list.data.array)
            #expect(listed.allSatisfy { $0.keys == ["id", "name"] })
            // Oldest first; the tags of one call are created in name order.
            #expect(listed.map { $0["name"].string } == ["同事", "家人"])
            let ids = listed.compactMap { $0["id"].int }
            #expect(ids == ids.sorted())

            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["tags": "朋友,家人"], token: me.token).status == .ok)
            #expect(try await tags(client, me, friend) == strings(["家人", "朋友"]))
            #expect(try await tags(client, me, other) == strings(["家人"]))

            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["tags": ""], token: me.token).status == .ok)
            #expect(try await tags(client, me, friend) == .array([]))
            #expect(try await client.post("/friend/setremarktag/\(other.id)", ["tags": []], token: me.token).status == .ok)
            #expect(try await tags(client, me, other) == .array([]))

            // Unused tags stay mine, with their ids.
            let after = try await client.get("/tag/list", token: me.token)
            #expect(after.data.array?.map { $0["name"].string } == ["同事", "家人", "朋友"])
            #expect(Array(after.data.array?.compactMap { $0["id"].int }.prefix(2) ?? []) == ids)
        }
    }

    @Test func tagsBelongToTheirOwner() async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["tags": "家人"], token: me.token).status == .ok)
            #expect(try await client.post("/friend/setremarktag/\(me.id)", ["tags": "家人"], token: friend.token).status == .ok)
            let mine = try await client.get("/tag/list", token: me.token)
            let theirs = try await client.get("/tag/list", token: friend.token)
            #expect(mine.data.array?.count == 1)
            #expect(theirs.data.array?.count == 1)
            #expect(mine.data[0]["name"].string == "家人")
            #expect(theirs.data[0]["name"].string == "家人")
            #expect(mine.data[0]["id"].int != theirs.data[0]["id"].int)

            let newcomer = try await client.signUp()
            #expect(try await client.get("/tag/list", token: newcomer.token).data == .array([]))
        }
    }

    @Test func nicknameAbsentKeepsTheRemarkAndEmptyClearsIt() async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["nickname": "老李", "tags": ""], token: me.token).status == .ok)
            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["tags": "x"], token: me.token).status == .ok)
            #expect(try await client.get("/friend/read/\(friend.id)", token: me.token).data["nickname"].string == "老李")
            #expect(try await client.post("/friend/setremarktag/\(friend.id)", ["nickname": "", "tags": "x"], token: me.token).status == .ok)
            let read = try await client.get("/friend/read/\(friend.id)", token: me.token)
            #expect(read.data["nickname"].string == friend.username)
            #expect(read.data["tags"] == strings(["x"]))
        }
    }

    @Test func acceptsTwentyTagsAndRefusesTwentyOne() async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            let twenty = (1...20).map { "标签\($0)" }
            let accepted = try await client.post("/friend/setremarktag/\(friend.id)", ["tags": twenty], token: me.token)
            #expect(accepted.status == .ok)
            #expect(try await tags(client, me, friend).array?.count == 20)

            let refused = try await client.post(
                "/friend/setremarktag/\(friend.id)", ["tags": (1...21).map { "t\($0)" }.joined(separator: ",")], token: me.token
            )
            expectFailure(refused, .unprocessableContent, "标签 最多 20 个", code: "validation_failed")
            // Nothing changed.
            #expect(try await tags(client, me, friend).array?.count == 20)
        }
    }

    /// Two friends tagged at once with the same 20 new tags in opposite orders: each tag is created
    /// once, and neither request fails (no deadlock, no unique violation).
    @Test func concurrentTaggingSharesNewTags() async throws {
        try await withParley { client in
            let (me, first) = try await friends(client)
            let second = try await client.signUp()
            try await client.befriend(second, me)
            for round in 0..<30 {
                let names = (1...20).map { "r\(round)t\($0)" }
                async let one = client.post("/friend/setremarktag/\(first.id)", ["tags": names], token: me.token)
                async let two = client.post("/friend/setremarktag/\(second.id)", ["tags": Array(names.reversed())], token: me.token)
                let statuses = try await [one.status, two.status]
                #expect(statuses == [.ok, .ok])
            }
            let listed = try await client.get("/tag/list", token: me.token).data.array ?? []
            #expect(listed.count == 600)
            #expect(Set(listed.compactMap { $0["name"].string }).count == 600)
            #expect(try await tags(client, me, second).array?.count == 20)
        }
    }

    @Test(arguments: [
        ([:], "标签不能为空"),
        (["tags": String(repeating: "长", count: 31)], "标签 的长度 必须 在 1 和 30 之间"),
        (["tags": ["ok", 5] as [any Sendable]], "标签 的值 `5` 的类型不是 `string`"),
        (["tags": 5], "标签 的值 `5` 的类型不是 `array`"),
        (["nickname": String(repeating: "名", count: 31), "tags": ""], "备注 的长度 必须 在 1 和 30 之间"),
    ] as [([String: any Sendable], String)])
    func validates(fields: [String: any Sendable], text: String) async throws {
        try await withParley { client in
            let (me, friend) = try await friends(client)
            let answer = try await client.post("/friend/setremarktag/\(friend.id)", fields, token: me.token)
            expectFailure(answer, .unprocessableContent, text, code: "validation_failed")
        }
    }

    private func friends(_ client: ParleyClient) async throws -> (me: Account, friend: Account) {
        let me = try await client.signUp()
        let friend = try await client.signUp()
        try await client.befriend(friend, me)
        return (me, friend)
    }

    private func tags(_ client: ParleyClient, _ me: Account, _ friend: Account) async throws -> JSONValue {
        try await client.get("/friend/read/\(friend.id)", token: me.token).data["tags"]
    }

    private func strings(_ values: [String]) -> JSONValue {
        .array(values.map(JSONValue.string))
    }
}
