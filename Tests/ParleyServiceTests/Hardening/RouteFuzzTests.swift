import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

/// Every route the router serves — read from it, so a new route is fuzzed without being listed —
/// fed hostile path parameters, query strings and bodies: random JSON of every type, wrong types,
/// missing and extra fields, huge and empty strings, unicode and NUL, out-of-range numbers, form
/// bodies, wrong content types. The answer is never a 500, every refusal is the envelope, and the
/// node keeps serving.
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

    /// The routes whose success is not the envelope: the API document, metrics, media bytes.
    static let ownFormats: Set<String> = ["/openapi.json", "/metrics", "/media/{hash}"]

    /// Values for a path's parameters (`/friend/read/{id}`): valid and invalid ids, hashes, text.
    static let pathValues = ["1", "2", "0", "-1", "abc", "99999999999999999999", "1.5", "%E5%BC%A0", "%00", String(repeating: "a", count: 64)]

    /// Query strings the routes' readers meet: paging, filters, the language, garbage.
    static let queries = [
        "", "", "?limit=x", "?limit=0&after=-1", "?after=99999999999999999999", "?before=1&limit=999", "?page=2",
        "?q=%00", "?since=abc&node=x", "?lang=en", "?token=forged", "?limit=1&limit=2",
    ]

    /// A request target for `route`: parameters filled and a query string added at random.
    static func target(_ route: RegisteredRoute, using rng: inout SplitMix64) -> String {
        route.filled { _ in pathValues.randomElement(using: &rng)! } + queries.randomElement(using: &rng)!
    }

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
        let routes = try await RegisteredRoute.all(configuration: TestEnvironment.configuration())
        #expect(routes.count > 30)
        #expect(Self.ownFormats.isSubset(of: routes.map(\.path)), "ownFormats names a route the router does not serve")
        try await withParley { client in
            var rng = SplitMix64(state: seed)
            let account = try await client.signUp()
            var token = account.token
            for round in 0..<150 {
                let route = routes.randomElement(using: &rng)!
                let (method, path) = (route.method, Self.target(route, using: &rng))
                let (body, contentType) = Self.body(using: &rng)
                let authenticated = Bool.random(using: &rng) || round % 3 == 0
                let answer = try await client.request(
                    method, path, json: method == .get ? nil : body, token: authenticated ? token : nil,
                    headers: [.contentType: contentType]
                )
                let context = "seed \(seed) round \(round): \(method) \(path) \(contentType) \(body.prefix(200))"
                #expect(answer.status.code < 500, "\(context) → \(answer.status)")
                if answer.status.code >= 400 || !Self.ownFormats.contains(route.path) {
                    #expect(answer.msg == "ok" || (answer.msg == "fail" && answer.code != nil && answer.data.string != nil), "\(context) → \(answer.body)")
                }
                // A fuzzed /logout ends the session: sign in again so the rounds keep reaching the routes.
                if route.path == "/logout", answer.status == .ok {
                    token = try await client.login(account.username, password: account.password)
                }
            }
            let root = try await client.get("/")
            #expect(root.status == .ok)
        }
    }
}
