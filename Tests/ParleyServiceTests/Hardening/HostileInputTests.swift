import Foundation
import Testing
@testable import ParleyService

/// Text PostgreSQL or bcrypt would read otherwise than the client meant: NUL characters, lengths
/// counted another way, JSON a strict parser refuses (issue "Hostile clients, round two", items 1–3, 8).
@Suite("Hostile input: NUL, lengths, strict JSON")
struct HostileInputTests {
    /// A JSON string literal holding a NUL character.
    private static let withNUL = #""a\u0000b""#

    @Test func aPasswordWithANULIsRefusedAndNeverCutShort() async throws {
        try await withParley { client in
            let username = TestEnvironment.uniqueUsername()
            let register = try await client.request(
                .post, "/reg",
                json: #"{"username":"\#(username)","password":"secret\u0000xxxxxxxx","repassword":"secret\u0000xxxxxxxx"}"#
            )
            #expect(register.status == .unprocessableContent)
            #expect(register.data.string == "密码 不能包含空字符")

            // Registered with the whole password, signed in with its start: never accepted.
            let account = try await client.signUp(password: "secret123")
            let cut = try await client.request(.post, "/login", json: #"{"username":"\#(account.username)","password":"secret123\u0000tail"}"#)
            #expect(cut.status == .unprocessableContent)
            #expect(try await PasswordHasher(cost: 4).verify("secret123\u{0}tail", hash: PasswordHasher(cost: 4).hash("secret123")) == false)
        }
    }

    /// Every listed route and field, on one node: a node per case would hold a PostgreSQL pool each.
    private static let nulCases: [(path: String, json: String, fieldName: String)] = [
        ("/login", #"{"username":\#(withNUL)xxxx,"password":"secret123"}"#, "用户名"),
        ("/search/user", #"{"keyword":\#(withNUL)}"#, "关键词"),
        ("/apply/addfriend", #"{"friend_id":1,"nickname":\#(withNUL),"lookme":1,"lookhim":1}"#, "备注"),
        ("/apply/handle/1", #"{"status":"agree","nickname":\#(withNUL),"lookme":1,"lookhim":1}"#, "备注"),
        ("/friend/setremarktag/1", #"{"nickname":\#(withNUL),"tags":""}"#, "备注"),
        ("/friend/setremarktag/1", #"{"tags":\#(withNUL)}"#, "标签"),
        ("/friend/setremarktag/1", #"{"tags":["ok",\#(withNUL)]}"#, "标签"),
        ("/report/save", #"{"reported_id":1,"reported_type":"user","content":\#(withNUL),"category":"spam"}"#, "举报内容"),
        ("/report/save", #"{"reported_id":1,"reported_type":"user","content":"spam","category":\#(withNUL)}"#, "举报分类"),
        ("/chat/send", #"{"to_id":1,"chat_type":"user","type":"text","data":\#(withNUL)}"#, "消息内容"),
        ("/chat/send", #"{"to_id":1,"chat_type":"user","type":"text","data":"hi","options":{"k":\#(withNUL)}}"#, "消息选项"),
        ("/chat/send", #"{"to_id":1,"chat_type":"user","type":"text","data":"hi","options":{"a\u0000":1}}"#, "消息选项"),
        ("/chat/send", #"{"to_id":1,"chat_type":"user","type":"text","data":"hi","options":"{\"k\":\"\\u0000\"}"}"#, "消息选项"),
    ]

    @Test func aNULInAnyTextFieldIsAValidationFailure() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            for (path, json, fieldName) in Self.nulCases {
                let answer = try await client.request(.post, path, json: json.replacingOccurrences(of: "xxxx", with: ""), token: account.token)
                #expect(answer.status == .unprocessableContent, "\(path) \(json)")
                #expect(answer.data.string?.hasPrefix(fieldName) == true, "\(answer.data)")
                #expect(answer.data.string?.hasSuffix("不能包含空字符") == true, "\(answer.data)")
            }
        }
    }

    @Test func aNULInAFormFieldIsAValidationFailure() async throws {
        try await withParley { client in
            let answer = try await client.request(
                .post, "/login", json: "username=abc%00defgh&password=secret123",
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(answer.status == .unprocessableContent)
            #expect(answer.data.string == "用户名 不能包含空字符")
        }
    }

    /// 🇨🇳 is one grapheme of two code points; PostgreSQL's `char_length` counts code points.
    @Test func lengthsCountCodePointsAsTheSchemaDoes() async throws {
        try await withParley { client in
            let flags = String(repeating: "🇨🇳", count: 11)
            let tooLong = try await client.post("/reg", ["username": flags, "password": "secret123", "repassword": "secret123"])
            #expect(tooLong.status == .unprocessableContent)
            #expect(tooLong.data.string == "用户名 的长度 必须 在 5 和 20 之间")

            let stacked = "e" + String(repeating: "\u{0301}", count: 25)
            let marks = try await client.post("/reg", ["username": "ab" + stacked, "password": "secret123", "repassword": "secret123"])
            #expect(marks.status == .unprocessableContent)

            // Ten flags are twenty code points: the longest name there can be, and stored as such.
            let longest = String(repeating: "🇨🇳", count: 10)
            let fits = try await client.post("/reg", ["username": longest, "password": "secret123", "repassword": "secret123"])
            #expect(fits.status == .ok || fits.code == "username_taken", "\(fits.body)")

            let account = try await client.signUp()
            let report = try await client.post(
                "/report/save",
                ["reported_id": fits.data["id"].int ?? 1, "reported_type": "user", "content": "x", "category": String(repeating: "🇨🇳", count: 6)],
                token: account.token
            )
            #expect(report.status == .unprocessableContent)
            #expect(report.data.string == "举报分类 的长度 必须 在 1 和 10 之间")
        }
    }

    @Test func aLoginNameLongerThanAnyAccountsIsRefusedBeforeAnyLookUp() async throws {
        try await withParley { client in
            let answer = try await client.post("/login", ["username": String(repeating: "x", count: 60_000), "password": "secret123"])
            #expect(answer.status == .unprocessableContent)
            #expect(answer.data.string == "用户名 的长度 必须 在 5 和 20 之间")
        }
    }

    @Test func invalidJSONIsABadRequest() async throws {
        try await withParley { client in
            for json in [#"{"username":"abcde","password":"secret1",}"#, #"{"a":1}x"#, #"{'a':1}"#, #"{"a":01}"#, #"{"a":1} // c"#] {
                let answer = try await client.request(.post, "/login", json: json)
                #expect(answer.status == .badRequest, "\(json)")
                #expect(answer.code == "bad_request")
            }
        }
    }
}
