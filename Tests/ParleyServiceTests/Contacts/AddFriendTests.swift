import Testing
@testable import ParleyService

@Suite("POST /apply/addfriend")
struct AddFriendTests {
    @Test func answersThePendingApply() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let other = try await client.signUp()
            let answer = try await client.post(
                "/apply/addfriend",
                ["friend_id": "\(other.id)", "nickname": "老王", "lookme": "0", "lookhim": 1],
                token: me.token
            )
            #expect(answer.status == .ok)
            #expect(answer.msg == "ok")
            #expect(answer.data.keys == applyKeys)
            #expect(answer.data["user_id"].int == me.id)
            #expect(answer.data["friend_id"].int == other.id)
            #expect(answer.data["nickname"].string == "老王")
            #expect(answer.data["lookme"].int == 0)
            #expect(answer.data["lookhim"].int == 1)
            #expect(answer.data["status"].string == "pending")
            #expect(answer.data["created_at"].string?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)

            let withoutRemark = try await client.post(
                "/apply/addfriend", ["friend_id": me.id, "lookme": 1, "lookhim": 1], token: other.token
            )
            #expect(withoutRemark.status == .ok)
            #expect(withoutRemark.data["nickname"].string == "")
        }
    }

    @Test func refusesInTheContractsOrder() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let other = try await client.signUp()
            let flags = ["lookme": 1, "lookhim": 1]

            let myself = try await client.post("/apply/addfriend", flags.merging(["friend_id": me.id]) { $1 }, token: me.token)
            expectFailure(myself, .badRequest, "不能添加自己", code: "cannot_add_self")

            let unknown = try await client.post("/apply/addfriend", flags.merging(["friend_id": 999_999_999]) { $1 }, token: me.token)
            expectFailure(unknown, .notFound, "该用户不存在或者已被禁用", code: "user_not_found")

            let disabled = try await client.signUp()
            try await withTestDatabase { try await $0.setStatus(userID: disabled.id, 0) }
            let toDisabled = try await client.post(
                "/apply/addfriend", flags.merging(["friend_id": disabled.id]) { $1 }, token: me.token
            )
            expectFailure(toDisabled, .notFound, "该用户不存在或者已被禁用", code: "user_not_found")

            let first = try await client.post("/apply/addfriend", flags.merging(["friend_id": other.id]) { $1 }, token: me.token)
            #expect(first.status == .ok)
            let again = try await client.post("/apply/addfriend", flags.merging(["friend_id": other.id]) { $1 }, token: me.token)
            expectFailure(again, .conflict, "你之前已经申请过了", code: "apply_exists")

            // A pending apply of mine never blocks theirs to me.
            let reverse = try await client.post("/apply/addfriend", flags.merging(["friend_id": me.id]) { $1 }, token: other.token)
            #expect(reverse.status == .ok)

            #expect(try await client.handle(#require(first.data["id"].int), as: other).status == .ok)
            let friends = try await client.post("/apply/addfriend", flags.merging(["friend_id": other.id]) { $1 }, token: me.token)
            expectFailure(friends, .conflict, "对方已经是你的好友", code: "already_friends")
        }
    }

    @Test func aRefusedApplyCanBeSentAgain() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let other = try await client.signUp()
            let refused = try await client.apply(from: me, to: other)
            #expect(try await client.handle(refused, as: other, status: "refuse").status == .ok)
            let again = try await client.apply(from: me, to: other)
            #expect(again != refused)
        }
    }

    @Test(arguments: [
        ([:], "好友ID不能为空"),
        (["friend_id": "abc"], "好友ID 的值 `abc` 的类型不是 `int`"),
        (["friend_id": 1.5], "好友ID 的值 `1.5` 的类型不是 `int`"),
        (["friend_id": 7, "nickname": String(repeating: "名", count: 31)], "备注 的长度 必须 在 1 和 30 之间"),
        (["friend_id": 7], "允许他看我不能为空"),
        (["friend_id": 7, "lookme": 2], "允许他看我 的值 `2` 必须在 [`0`、`1`] 中"),
        (["friend_id": 7, "lookme": 1], "看他不能为空"),
        (["friend_id": 7, "lookme": 1, "lookhim": "x"], "看他 的值 `x` 的类型不是 `int`"),
    ] as [([String: any Sendable], String)])
    func validatesInOrder(fields: [String: any Sendable], text: String) async throws {
        try await expectValidationFailure("/apply/addfriend", fields: fields, text: text)
    }

    @Test func needsAToken() async throws {
        try await withParley { client in
            let answer = try await client.post("/apply/addfriend", ["friend_id": 1, "lookme": 1, "lookhim": 1])
            #expect(answer.status == .unauthorized)
            #expect(answer.code == "unauthenticated")
        }
    }
}
