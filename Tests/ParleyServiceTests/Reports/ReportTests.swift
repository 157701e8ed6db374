import Testing
@testable import ParleyService

@Suite("POST /report/save")
struct ReportTests {
    static let reportKeys: Set<String> = [
        "id", "user_id", "reported_id", "reported_type", "content", "category", "status", "created_at", "updated_at",
    ]

    @Test func answersThePendingReport() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let target = try await client.signUp()
            let answer = try await client.post(
                "/report/save",
                ["reported_id": "\(target.id)", "reported_type": "user", "content": "发广告", "category": "广告"],
                token: me.token
            )
            #expect(answer.status == .ok)
            #expect(answer.msg == "ok")
            #expect(answer.data.keys == Self.reportKeys)
            #expect(answer.data["user_id"].int == me.id)
            #expect(answer.data["reported_id"].int == target.id)
            #expect(answer.data["reported_type"].string == "user")
            #expect(answer.data["content"].string == "发广告")
            #expect(answer.data["category"].string == "广告")
            #expect(answer.data["status"].string == "pending")
            #expect(answer.data["updated_at"].string?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        }
    }

    @Test func refusesInTheContractsOrder() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let target = try await client.signUp()
            let fields: [String: Any] = ["reported_type": "user", "content": "骚扰", "category": "骚扰"]

            let myself = try await client.post("/report/save", fields.merging(["reported_id": me.id]) { $1 }, token: me.token)
            expectFailure(myself, .badRequest, "不能举报自己", code: "cannot_report_self")

            let unknown = try await client.post("/report/save", fields.merging(["reported_id": 999_999_999]) { $1 }, token: me.token)
            expectFailure(unknown, .notFound, "被举报人不存在", code: "reported_not_found")

            // No groups exist yet; my own id as a group is not "myself".
            for id in [target.id, me.id] {
                let group = try await client.post(
                    "/report/save", fields.merging(["reported_id": id, "reported_type": "group"]) { $1 }, token: me.token
                )
                #expect(group.status == .notFound)
                #expect(group.code == "reported_not_found")
            }

            let first = try await client.post("/report/save", fields.merging(["reported_id": target.id]) { $1 }, token: me.token)
            #expect(first.status == .ok)
            let again = try await client.post("/report/save", fields.merging(["reported_id": target.id]) { $1 }, token: me.token)
            expectFailure(again, .conflict, "请勿反复提交", code: "report_exists")
        }
    }

    @Test func onePendingReportNeverBlocksAnotherReporter() async throws {
        try await withParley { client in
            let target = try await client.signUp()
            let fields: [String: Any] = ["reported_id": target.id, "reported_type": "user", "content": "诈骗", "category": "诈骗"]
            for _ in 0..<3 {
                let reporter = try await client.signUp()
                #expect(try await client.post("/report/save", fields, token: reporter.token).status == .ok)
            }
        }
    }

    @Test func reportsOfADisabledUserAreAccepted() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let target = try await client.signUp()
            try await withTestDatabase { try await $0.setStatus(userID: target.id, 0) }
            let fields: [String: Any] = ["reported_id": target.id, "reported_type": "user", "content": "x", "category": "y"]
            #expect(try await client.post("/report/save", fields, token: me.token).status == .ok)
        }
    }

    @Test func concurrentDuplicatesGiveOneReport() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let target = try await client.signUp()
            let fields: [String: any Sendable] = ["reported_id": target.id, "reported_type": "user", "content": "x", "category": "y"]
            async let first = client.post("/report/save", fields, token: me.token)
            async let second = client.post("/report/save", fields, token: me.token)
            async let third = client.post("/report/save", fields, token: me.token)
            let statuses = try await [first.status.code, second.status.code, third.status.code].sorted()
            #expect(statuses == [200, 409, 409])
        }
    }

    @Test(arguments: [
        ([:], "被举报人ID不能为空"),
        (["reported_id": "x"], "被举报人ID 的值 `x` 的类型不是 `int`"),
        (["reported_id": 7], "举报类型不能为空"),
        (["reported_id": 7, "reported_type": "post"], "举报类型 的值 `post` 必须在 [`user`、`group`] 中"),
        (["reported_id": 7, "reported_type": "user"], "举报内容不能为空"),
        (["reported_id": 7, "reported_type": "user", "content": String(repeating: "长", count: 501)], "举报内容 的长度 必须 在 1 和 500 之间"),
        (["reported_id": 7, "reported_type": "user", "content": "x"], "举报分类不能为空"),
        (["reported_id": 7, "reported_type": "user", "content": "x", "category": "12345678901"], "举报分类 的长度 必须 在 1 和 10 之间"),
    ] as [([String: any Sendable], String)])
    func validatesInOrder(fields: [String: any Sendable], text: String) async throws {
        try await expectValidationFailure("/report/save", fields: fields, text: text)
    }
}
