import Testing
@testable import ParleyService

@Suite("POST /search/user")
struct SearchTests {
    @Test func findsExactUsernamesOfEnabledUsersOnly() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let other = try await client.signUp()
            let found = try await client.post("/search/user", ["keyword": other.username], token: me.token)
            #expect(found.status == .ok)
            #expect(found.data["id"].int == other.id)
            #expect(found.data.keys == ["id", "username", "nickname", "avatar", "sex", "sign", "area", "created_at", "updated_at"])

            let partial = try await client.post("/search/user", ["keyword": String(other.username.dropLast())], token: me.token)
            #expect(partial.status == .ok)
            #expect(partial.data == .null)

            try await withTestDatabase { try await $0.setStatus(userID: other.id, 0) }
            let disabled = try await client.post("/search/user", ["keyword": other.username], token: me.token)
            #expect(disabled.data == .null)
        }
    }

    @Test func validatesTheKeyword() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let empty = try await client.post("/search/user", ["keyword": ""], token: me.token)
            #expect(empty.status == .unprocessableContent)
            #expect(empty.data.string == "关键词不能为空")
            let long = try await client.post("/search/user", ["keyword": String(repeating: "x", count: 51)], token: me.token)
            #expect(long.data.string == "关键词 的长度 必须 在 1 和 50 之间")
        }
    }
}
