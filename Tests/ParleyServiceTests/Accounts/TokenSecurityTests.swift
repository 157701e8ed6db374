import Crypto
import Foundation
import Testing
@testable import ParleyService

/// Forged and malformed tokens are refused, whatever they claim (API.md §2).
@Suite("Token security")
struct TokenSecurityTests {
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func part(_ object: [String: Any]) -> String {
        base64URL(try! JSONSerialization.data(withJSONObject: object))
    }

    /// A token signed with `key` by HMAC-SHA256 or -SHA512, with any header and claims.
    static func token(header: [String: Any], claims: [String: Any], key: String, sha512: Bool = false) -> String {
        let input = part(header) + "." + part(claims)
        let symmetricKey = SymmetricKey(data: Data(key.utf8))
        let signature =
            sha512
            ? Data(HMAC<SHA512>.authenticationCode(for: Data(input.utf8), using: symmetricKey))
            : Data(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: symmetricKey))
        return input + "." + base64URL(signature)
    }

    func claims(for account: Account, sessionID: UUID, now: Date = Date()) -> [String: Any] {
        ["sub": String(account.id), "sid": sessionID.uuidString.lowercased(), "iat": now.timeIntervalSince1970,
         "exp": now.timeIntervalSince1970 + 3600]
    }

    func currentSession(of account: Account) async throws -> UUID {
        try await withTestDatabase { database in
            try await database.query("SELECT id FROM sessions WHERE user_id = \(account.id) AND revoked_at IS NULL")
                .decode(UUID.self).all().first!
        }
    }

    @Test func aCorrectlyForgedTokenIsTheBaseline() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let session = try await currentSession(of: account)
            let token = Self.token(header: ["alg": "HS256", "typ": "JWT"], claims: claims(for: account, sessionID: session), key: TestEnvironment.jwtSecret)
            #expect(try await client.post("/search/user", ["keyword": "x"], token: token).status == .ok)
        }
    }

    @Test func refusesEveryForgery() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let session = try await currentSession(of: account)
            let good = claims(for: account, sessionID: session)
            var missingSid = good
            missingSid["sid"] = nil
            var futureIat = good
            futureIat["iat"] = Date().timeIntervalSince1970 + 3600
            var otherUser = good
            otherUser["sub"] = String(account.id + 1)
            let signed = Self.token(header: ["alg": "HS256", "typ": "JWT"], claims: good, key: TestEnvironment.jwtSecret)
            let pieces = signed.split(separator: ".").map(String.init)
            let forgeries: [(String, String)] = [
                ("alg none", Self.part(["alg": "none", "typ": "JWT"]) + "." + Self.part(good) + "."),
                ("HS512 with the right key", Self.token(header: ["alg": "HS512"], claims: good, key: TestEnvironment.jwtSecret, sha512: true)),
                ("HS256 header, HS512 signature", Self.token(header: ["alg": "HS256"], claims: good, key: TestEnvironment.jwtSecret, sha512: true)),
                ("wrong key", Self.token(header: ["alg": "HS256"], claims: good, key: String(repeating: "w", count: 40))),
                ("future iat", Self.token(header: ["alg": "HS256"], claims: futureIat, key: TestEnvironment.jwtSecret)),
                ("missing sid", Self.token(header: ["alg": "HS256"], claims: missingSid, key: TestEnvironment.jwtSecret)),
                ("tampered payload", pieces[0] + "." + Self.part(otherUser) + "." + pieces[2]),
                ("no signature", pieces[0] + "." + pieces[1]),
                ("garbage", "a.b.c"),
            ]
            for (name, token) in forgeries {
                let answer = try await client.post("/search/user", ["keyword": "x"], token: token)
                #expect(answer.status == .unauthorized, "\(name)")
                #expect(answer.code == "token_invalid", "\(name)")
            }
        }
    }

    @Test func noAnswerCarriesAPasswordOrHash() async throws {
        try await withParley { client in
            let password = "unique-secret-\(UUID().uuidString.prefix(8))"
            let account = try await client.signUp(password: password)
            let login = try await client.post("/login", ["username": account.username, "password": password])
            let search = try await client.post("/search/user", ["keyword": account.username], token: login.data["token"].string)
            for answer in [login, search] {
                let text = String(decoding: try JSONWriter.encode(answer.body), as: UTF8.self)
                #expect(!text.contains(password))
                #expect(!text.contains("$2b$"))
                #expect(!text.contains("password"))
            }
        }
    }
}
