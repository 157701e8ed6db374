import Testing
@testable import ParleyService

@Suite("POST /apply/handle/:id")
struct HandleApplyTests {
    @Test func agreeingMakesTwoFriendRowsEachWithItsOwnersSettings() async throws {
        try await withParley { client in
            let applicant = try await client.signUp()
            let me = try await client.signUp()
            let applyID = try await client.apply(from: applicant, to: me, nickname: "同学", lookme: 0, lookhim: 1)
            let answer = try await client.post(
                "/apply/handle/\(applyID)",
                ["status": "agree", "nickname": "老同学", "lookme": "1", "lookhim": "0"],
                token: me.token
            )
            #expect(answer.status == .ok)
            #expect(answer.body == .object(["msg": .string("ok"), "data": .string("操作成功")]))

            let (rows, status) = try await withTestDatabase { database in
                (try await database.friendRows(between: applicant.id, and: me.id), try await database.applyStatus(applyID))
            }
            #expect(rows.sorted { $0.owner < $1.owner } == [
                FriendRow(owner: applicant.id, friend: me.id, nickname: "同学", lookme: 0, lookhim: 1),
                FriendRow(owner: me.id, friend: applicant.id, nickname: "老同学", lookme: 1, lookhim: 0),
            ].sorted { $0.owner < $1.owner })
            #expect(status == "agree")

            let again = try await client.handle(applyID, as: me)
            expectFailure(again, .notFound, "该记录不存在", code: "not_found")
        }
    }

    @Test func agreeingSettlesThePendingApplyInTheOtherDirection() async throws {
        try await withParley { client in
            let first = try await client.signUp()
            let second = try await client.signUp()
            let theirs = try await client.apply(from: first, to: second)
            let mine = try await client.apply(from: second, to: first)
            #expect(try await client.handle(theirs, as: second).status == .ok)
            let (rows, statuses) = try await withTestDatabase { database in
                (
                    try await database.friendRows(between: first.id, and: second.id),
                    [try await database.applyStatus(theirs), try await database.applyStatus(mine)]
                )
            }
            #expect(rows.count == 2)
            #expect(statuses == ["agree", "agree"])
            #expect(try await client.handle(mine, as: first).status == .notFound)
            let pending = try await client.get("/apply/1", token: first.token)
            #expect(pending.data["count"].int == 0)
        }
    }

    @Test(arguments: ["refuse", "ignore"])
    func refusingOrIgnoringOnlySetsTheStatus(status: String) async throws {
        try await withParley { client in
            let applicant = try await client.signUp()
            let me = try await client.signUp()
            let applyID = try await client.apply(from: applicant, to: me)
            let answer = try await client.handle(applyID, as: me, status: status)
            #expect(answer.status == .ok)
            #expect(answer.data.string == "操作成功")
            let (rows, stored) = try await withTestDatabase { database in
                (try await database.friendRows(between: applicant.id, and: me.id), try await database.applyStatus(applyID))
            }
            #expect(rows.isEmpty)
            #expect(stored == status)
            #expect(try await client.handle(applyID, as: me, status: "agree").status == .notFound)
        }
    }

    @Test func onlyAPendingApplyAddressedToMe() async throws {
        try await withParley { client in
            let applicant = try await client.signUp()
            let addressee = try await client.signUp()
            let stranger = try await client.signUp()
            let applyID = try await client.apply(from: applicant, to: addressee)
            for (id, account) in [(applyID, stranger), (applyID, applicant), (999_999_999, addressee)] {
                let answer = try await client.handle(id, as: account)
                expectFailure(answer, .notFound, "该记录不存在", code: "not_found")
            }
            #expect(try await withTestDatabase { try await $0.applyStatus(applyID) } == "pending")
        }
    }

    @Test(arguments: [
        ("/apply/handle/x", ["status": "agree", "lookme": 1, "lookhim": 1], "申请ID 的值 `x` 的类型不是 `int`"),
        ("/apply/handle/0", ["status": "agree", "lookme": 1, "lookhim": 1], "申请ID 的值 `0` 必须 大于等于 1"),
        ("/apply/handle/1", [:], "处理结果不能为空"),
        ("/apply/handle/1", ["status": "maybe"], "处理结果 的值 `maybe` 必须在 [`refuse`、`agree`、`ignore`] 中"),
        ("/apply/handle/1", ["status": "agree", "nickname": 5], "备注 的值 `5` 的类型不是 `string`"),
        ("/apply/handle/1", ["status": "agree"], "允许他看我不能为空"),
        ("/apply/handle/1", ["status": "agree", "lookme": 1, "lookhim": 3], "看他 的值 `3` 必须在 [`0`、`1`] 中"),
    ] as [(String, [String: any Sendable], String)])
    func validates(path: String, fields: [String: any Sendable], text: String) async throws {
        try await expectValidationFailure(path, fields: fields, text: text)
    }

    /// Two agrees racing, one per direction, each on its own node (its own connection pool), plus
    /// a double tap of one of them: never a duplicate friendship, never a 500.
    @Test func racingAgreesNeverDuplicateAFriendship() async throws {
        try await withParley { nodeA in
            try await withParley { nodeB in
                for _ in 0..<20 {
                    let first = try await nodeA.signUp()
                    let second = try await nodeA.signUp()
                    let toSecond = try await nodeA.apply(from: first, to: second, nickname: "B")
                    let toFirst = try await nodeA.apply(from: second, to: first, nickname: "A")
                    async let agreeA = nodeA.handle(toSecond, as: second, nickname: "from second")
                    async let agreeB = nodeB.handle(toFirst, as: first, nickname: "from first")
                    async let doubleTap = nodeB.handle(toSecond, as: second)
                    let answers = try await [agreeA, agreeB, doubleTap]
                    let statuses = answers.map(\.status.code)
                    #expect(statuses.allSatisfy { $0 == 200 || $0 == 404 }, "\(answers)")
                    #expect(statuses.contains(200))
                    for answer in answers where answer.status == .notFound {
                        #expect(answer.data.string == "该记录不存在")
                    }
                    let (rows, stored) = try await withTestDatabase { database in
                        (
                            try await database.friendRows(between: first.id, and: second.id),
                            [try await database.applyStatus(toSecond), try await database.applyStatus(toFirst)]
                        )
                    }
                    #expect(rows.count == 2)
                    #expect(Set(rows.map(\.owner)) == [first.id, second.id])
                    #expect(stored == ["agree", "agree"])
                }
            }
        }
    }
}
