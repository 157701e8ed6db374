import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

/// Every route fed hostile bodies: random JSON of every type, wrong types, missing and extra
/// fields, huge and empty strings, unicode and NUL, out-of-range numbers, form bodies, wrong content
/// types. The answer is always the envelope, never a 500, and the node keeps serving.
@Suite("Route fuzzing")
struct RouteFuzzTests {
    /// A deterministic generator: a failure is reproducible from its seed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let routes: [(HTTPRequest.Method, String)] = [
        (.post, "/reg"), (.post, "/login"), (.post, "/logout"), (.post, "/search/user"),
        (.post, "/apply/addfriend"), (.get, "/apply/1"), (.get, "/apply/abc?limit=x"), (.post, "/apply/handle/1"),
        (.get, "/friend/list"), (.get, "/friend/read/1"), (.post, "/friend/setblack/1"), (.post, "/friend/setstar/1"),
        (.post, "/friend/setmomentauth/1"), (.post, "/friend/setremarktag/1"), (.get, "/tag/list"),
        (.post, "/report/save"), (.post, "/chat/send"), (.post, "/chat/getmessage"), (.post, "/chat/recall"),
        (.get, "/"), (.get, "/health"),
        (.post, "/user/update"), (.post, "/friend/destroy"), (.get, "/tag/read/1"), (.post, "/token/refresh"),
        (.post, "/upload"), (.get, "/media/abc"),
        (.get, "/chat/sync"), (.get, "/chat/sync?after=x&limit=999"), (.get, "/chat/history/1?before=-1"),
        (.get, "/chat/history/abc"), (.get, "/chat/conversations?limit=0"), (.post, "/chat/read"),
    ]

    /// The field names the routes read, so random bodies hit real validation paths.
    static let keys = [
        "username", "password", "repassword", "keyword", "friend_id", "nickname", "lookme", "lookhim", "status",
        "isblack", "star", "tags", "reported_id", "reported_type", "content", "category", "to_id", "chat_type",
        "type", "data", "options", "id", "extra", "avatar", "sex", "sign", "area", "files", "seq",
    ]

    static let strings = [
        "", " ", "0", "1", "-1", "99999999999999999999999", "1e400", "NaN", "null", "true", "abc", "张三", "👍🏽",
        "a\u{0}b", "\u{202E}evil", "agree", "user", "text", "[]", "{}", "{\"a\":1}", "1,2,3", "'; DROP TABLE users; --",
    ]

    static func value(depth: Int = 0, using rng: inout SplitMix64) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 6 : 9), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer([0, 1, -1, 2, Int64.max, Int64.min, 12].randomElement(using: &rng)!)
        case 3: return .number([0.5, -1e300, 1e300, 3.0].randomElement(using: &rng)!)
        case 4: return .string(strings.randomElement(using: &rng)!)
        case 5: return .string(String(repeating: "长", count: Int.random(in: 0...6000, using: &rng)))
        case 6: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(depth: depth + 1, using: &rng) })
        case 7, 8:
            return .object(Dictionary(
                (0..<Int.random(in: 0...4, using: &rng)).map { _ in (keys.randomElement(using: &rng)!, value(depth: depth + 1, using: &rng)) },
                uniquingKeysWith: { $1 }
            ))
        default: return .null
        }
    }

    /// A body and its content type: mostly JSON objects with the routes' keys, sometimes not.
    static func body(using rng: inout SplitMix64) -> (String, String) {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            return ("<xml/>", "text/xml")
        case 1:
            let pairs = (0..<3).map { _ in
                "\(keys.randomElement(using: &rng)!)=\(strings.randomElement(using: &rng)!.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }
            return (pairs.joined(separator: "&"), "application/x-www-form-urlencoded")
        case 2:
            return (["", "{", "[1,2", "\"just a string\"", "42", "{\"a\":}", "\u{0}"].randomElement(using: &rng)!, "application/json")
        default:
            let members = Dictionary(
                keys.shuffled(using: &rng).prefix(Int.random(in: 0...8, using: &rng)).map { ($0, value(using: &rng)) },
                uniquingKeysWith: { $1 }
            )
            let text = String(decoding: try! JSONEncoder().encode(JSONValue.object(members)), as: UTF8.self)
            return (text, "application/json")
        }
    }

    @Test(arguments: [1, 2, 3, 4])
    func neverAnswers500(seed: UInt64) async throws {
        try await withParley { client in
            var rng = SplitMix64(state: seed)
            let account = try await client.signUp()
            var token = account.token
            for round in 0..<150 {
                let (method, path) = Self.routes.randomElement(using: &rng)!
                let (body, contentType) = Self.body(using: &rng)
                let authenticated = Bool.random(using: &rng) || round % 3 == 0
                let answer = try await client.request(
                    method, path, json: method == .get ? nil : body, token: authenticated ? token : nil,
                    headers: [.contentType: contentType]
                )
                let context = "seed \(seed) round \(round): \(method) \(path) \(contentType) \(body.prefix(200))"
                #expect(answer.status.code < 500, "\(context) → \(answer.status)")
                #expect(answer.msg == "ok" || (answer.msg == "fail" && answer.code != nil && answer.data.string != nil), "\(context) → \(answer.body)")
                // A fuzzed /logout ends the session: sign in again so the rounds keep reaching the routes.
                if path == "/logout", answer.status == .ok {
                    token = try await client.login(account.username, password: account.password)
                }
            }
            let root = try await client.get("/")
            #expect(root.status == .ok)
        }
    }
}
