import Testing
@testable import ParleyService

@Suite("GET /apply/:page")
struct ApplyListTests {
    @Test func listsAppliesToMeNewestFirstWithTheApplicant() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let first = try await client.signUp()
            let second = try await client.signUp()
            try await withTestDatabase { try await $0.setNickname(userID: second.id, "二号") }
            let older = try await client.apply(from: first, to: me, nickname: "备注一", lookme: 0, lookhim: 1)
            let newer = try await client.apply(from: second, to: me)
            // Sent by me, so not in my list.
            _ = try await client.apply(from: me, to: try await client.signUp())

            let answer = try await client.get("/apply/1", token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data.keys == ["rows", "count"])
            #expect(answer.data["count"].int == 2)
            let rows = try #require(answer.data["rows"].array)
            #expect(rows.map { $0["id"].int } == [newer, older])
            #expect(rows[0].keys == applyKeys.union(["user"]))
            #expect(rows[0]["user"].keys == ["id", "username", "nickname", "avatar"])
            #expect(rows[0]["user"]["id"].int == second.id)
            #expect(rows[0]["user"]["username"].string == second.username)
            #expect(rows[0]["user"]["nickname"].string == "二号")
            #expect(rows[1]["user_id"].int == first.id)
            #expect(rows[1]["friend_id"].int == me.id)
            #expect(rows[1]["nickname"].string == "备注一")
            #expect(rows[1]["lookme"].int == 0)
            #expect(rows[1]["status"].string == "pending")
        }
    }

    @Test func countsOnlyPendingAppliesButListsAll() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let refused = try await client.apply(from: try await client.signUp(), to: me)
            let pending = try await client.apply(from: try await client.signUp(), to: me)
            #expect(try await client.handle(refused, as: me, status: "refuse").status == .ok)
            let answer = try await client.get("/apply/1", token: me.token)
            #expect(answer.data["count"].int == 1)
            #expect(answer.data["rows"].array?.map { $0["id"].int } == [pending, refused])
            #expect(answer.data["rows"][1]["status"].string == "refuse")
        }
    }

    @Test func paginates() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            var ids: [Int] = []
            for _ in 0..<12 {
                ids.append(try await client.apply(from: try await client.signUp(), to: me))
            }
            let newestFirst = Array(ids.reversed())

            let byDefault = try await client.get("/apply/1", token: me.token)
            #expect(byDefault.data["rows"].array?.map { $0["id"].int } == Array(newestFirst[0..<10]))
            #expect(byDefault.data["count"].int == 12)
            let defaultSecond = try await client.get("/apply/2", token: me.token)
            #expect(defaultSecond.data["rows"].array?.map { $0["id"].int } == Array(newestFirst[10..<12]))

            let limited = try await client.get("/apply/2?limit=5", token: me.token)
            #expect(limited.data["rows"].array?.map { $0["id"].int } == Array(newestFirst[5..<10]))
            let lastPage = try await client.get("/apply/3?limit=5", token: me.token)
            #expect(lastPage.data["rows"].array?.map { $0["id"].int } == Array(newestFirst[10..<12]))

            for beyond in ["/apply/4?limit=5", "/apply/99", "/apply/9223372036854775807?limit=50"] {
                let answer = try await client.get(beyond, token: me.token)
                #expect(answer.status == .ok)
                #expect(answer.data["rows"].array?.isEmpty == true)
                #expect(answer.data["count"].int == 12)
            }
            let all = try await client.get("/apply/1?limit=50", token: me.token)
            #expect(all.data["rows"].array?.count == 12)
        }
    }

    @Test(arguments: [
        ("/apply/abc", "页码 的值 `abc` 的类型不是 `int`"),
        ("/apply/0", "页码 的值 `0` 必须 大于等于 1"),
        ("/apply/-1", "页码 的值 `-1` 必须 大于等于 1"),
        ("/apply/1?limit=0", "每页条数 的值 `0` 必须 在 1 和 50 之间"),
        ("/apply/1?limit=51", "每页条数 的值 `51` 必须 在 1 和 50 之间"),
        ("/apply/1?limit=ten", "每页条数 的值 `ten` 的类型不是 `int`"),
    ])
    func refusesBadPagesWith422(path: String, text: String) async throws {
        try await expectValidationFailure(path, method: .get, text: text)
    }

    @Test func speaksEnglishForBadPages() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.request(.get, "/apply/1?limit=99", token: me.token, headers: [.acceptLanguage: "en"])
            #expect(answer.data.string == "limit value `99` must be between 1 and 50")
        }
    }

    @Test func hasNoAppliesForANewcomer() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.get("/apply/1", token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data["rows"] == .array([]))
            #expect(answer.data["count"].int == 0)
        }
    }
}
