import Testing
@testable import ParleyService

@Suite("POST /reg")
struct RegistrationTests {
    @Test func registersAndAnswersTheProfile() async throws {
        try await withParley { client in
            let username = TestEnvironment.uniqueUsername()
            let answer = try await client.post("/reg", ["username": username, "password": "secret123", "repassword": "secret123"])
            #expect(answer.status == .ok)
            #expect(answer.msg == "ok")
            #expect(answer.data.keys == ["id", "username", "nickname", "avatar", "sex", "sign", "area", "created_at", "updated_at"])
            #expect(answer.data["username"].string == username)
            #expect(answer.data["sex"].string == "保密")
            #expect(answer.data["nickname"].string == "")
            #expect(answer.data["created_at"].string?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        }
    }

    @Test func refusesATakenUsername() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let answer = try await client.post("/reg", ["username": account.username, "password": "other123", "repassword": "other123"])
            #expect(answer.status == .conflict)
            #expect(answer.data.string == "用户名已存在")
            #expect(answer.code == "username_taken")
        }
    }

    @Test func normalisesUsernamesSoLookAlikesCollide() async throws {
        try await withParley { client in
            let base = TestEnvironment.uniqueUsername("e")
            let composed = base + "\u{E9}"  // é as one scalar
            let decomposed = base + "e\u{301}"  // e + combining acute
            let first = try await client.post("/reg", ["username": composed, "password": "secret123", "repassword": "secret123"])
            #expect(first.status == .ok)
            let second = try await client.post("/reg", ["username": decomposed, "password": "secret123", "repassword": "secret123"])
            #expect(second.status == .conflict)
        }
    }

    @Test func twoConcurrentRegistrationsOfOneNameGiveOneAccount() async throws {
        try await withParley { client in
            let username = TestEnvironment.uniqueUsername()
            async let first = client.post("/reg", ["username": username, "password": "secret123", "repassword": "secret123"])
            async let second = client.post("/reg", ["username": username, "password": "secret456", "repassword": "secret456"])
            let statuses = try await [first.status.code, second.status.code].sorted()
            #expect(statuses == [200, 409])
        }
    }

    @Test(arguments: [
        ([:], "用户名不能为空"),
        (["username": ""], "用户名不能为空"),
        (["username": 12345], "用户名 的值 `12345` 的类型不是 `string`"),
        (["username": "abcd"], "用户名 的长度 必须 在 5 和 20 之间"),
        (["username": String(repeating: "a", count: 21)], "用户名 的长度 必须 在 5 和 20 之间"),
        (["username": "张三李四王五"], "密码不能为空"),
        (["username": "has space"], "用户名 不能包含空白或控制字符"),
        (["username": "tab\tname"], "用户名 不能包含空白或控制字符"),
        (["username": "valid_name"], "密码不能为空"),
        (["username": "valid_name", "password": "12345"], "密码 的长度 必须 在 6 和 72 之间"),
        (["username": "valid_name", "password": String(repeating: "密", count: 25)], "密码 的长度 必须 在 6 和 72 之间"),
        (["username": "valid_name", "password": "123456"], "确认密码不能为空"),
        (["username": "valid_name", "password": "123456", "repassword": "1234567"], "[`密码`、`确认密码`] 参数必须是相等的"),
    ] as [([String: any Sendable], String)])
    func validatesInOrder(fields: [String: any Sendable], text: String) async throws {
        try await withParley { client in
            let answer = try await client.post("/reg", fields)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.msg == "fail")
            #expect(answer.code == "validation_failed")
            #expect(answer.data.string == text)
        }
    }

    /// API.md §1 by default: `Accept-Language: en` (its first preference) answers in English; the
    /// explicit `?lang` and `X-Parley-Language` win over it (docs/api.md §1).
    @Test func negotiatesTheLanguageOnAcceptLanguageByDefault() async throws {
        try await withParley { client in
            let browser = try await client.request(.post, "/reg", json: Self.shortName, headers: [.acceptLanguage: "en-US,en;q=0.9"])
            #expect(browser.data.string == Self.english)
            let preferringChinese = try await client.request(
                .post, "/reg", json: Self.shortName, headers: [.acceptLanguage: "zh-CN,en;q=0.5"]
            )
            #expect(preferringChinese.data.string == Self.chinese)
            let chosenChinese = try await client.request(.post, "/reg?lang=zh-CN", json: Self.shortName, headers: [.acceptLanguage: "en"])
            #expect(chosenChinese.data.string == Self.chinese)
            let headerChinese = try await client.request(
                .post, "/reg", json: Self.shortName, headers: [.acceptLanguage: "en", .parleyLanguage: "zh"]
            )
            #expect(headerChinese.data.string == Self.chinese)
            #expect(Set([browser.code, preferringChinese.code, chosenChinese.code]) == ["validation_failed"])
        }
    }

    /// `PARLEY_LANGUAGE_NEGOTIATION=explicit`: `Accept-Language` alone, as iOS sends it, keeps the
    /// Chinese texts the old client compares; `?lang` and `X-Parley-Language` still switch.
    @Test func speaksEnglishOnlyWhenAskedExplicitlyIfSoConfigured() async throws {
        var configuration = TestEnvironment.configuration()
        configuration.languageNegotiation = .explicit
        try await withParley(configuration) { client in
            let iOS = try await client.request(.post, "/reg", json: Self.shortName, headers: [.acceptLanguage: "en-US,en;q=0.9"])
            #expect(iOS.data.string == Self.chinese)
            let header = try await client.request(.post, "/reg", json: Self.shortName, headers: [.parleyLanguage: "en-US"])
            #expect(header.data.string == Self.english)
            let query = try await client.request(.post, "/reg?lang=en", json: Self.shortName, headers: [.parleyLanguage: "zh"])
            #expect(query.data.string == Self.english)
            #expect(Set([iOS.code, header.code, query.code]) == ["validation_failed"])
        }
    }

    static let shortName = #"{"username":"abc"}"#
    static let english = "username must be between 5 and 20 long"
    static let chinese = "用户名 的长度 必须 在 5 和 20 之间"

    @Test func acceptsFormBodies() async throws {
        try await withParley { client in
            let username = TestEnvironment.uniqueUsername()
            let answer = try await client.request(
                .post, "/reg", json: "username=\(username)&password=secret%2B1&repassword=secret%2B1",
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(answer.status == .ok)
            _ = try await client.login(username, password: "secret+1")
        }
    }
}
