import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

@Suite("Authentication (API.md §2)")
struct AuthenticationTests {
    @Test func readsTheTokenFromHeaderBearerOrQuery() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let body = jsonText(["keyword": account.username])
            let header = try await client.request(.post, "/search/user", json: body, token: account.token)
            let bearer = try await client.request(
                .post, "/search/user", json: body, headers: [.authorization: "Bearer \(account.token)"]
            )
            let query = try await client.request(.post, "/search/user?token=\(account.token)", json: body)
            for answer in [header, bearer, query] {
                #expect(answer.status == .ok)
                #expect(answer.data["id"].int == account.id)
            }
        }
    }

    @Test func refusesMissingInvalidAndExpiredTokens() async throws {
        try await withParley { client in
            let missing = try await client.post("/search/user", ["keyword": "abc"])
            #expect(missing.status == .unauthorized)
            #expect(missing.data.string == "您没有权限访问该接口!")
            #expect(missing.code == "unauthenticated")

            let garbage = try await client.post("/search/user", ["keyword": "abc"], token: "not.a.token")
            #expect(garbage.status == .unauthorized)
            #expect(garbage.data.string == "Token 令牌不合法!")

            let account = try await client.signUp()
            let authority = try await TokenAuthority(secret: TestEnvironment.jwtSecret, lifetime: .seconds(60))
            let sessionID = try await withTestDatabase { database in
                try await database.query("SELECT id FROM sessions WHERE user_id = \(account.id) AND revoked_at IS NULL")
                    .decode(UUID.self).all().first!
            }
            let expired = try await authority.sign(userID: account.id, sessionID: sessionID, now: Date().addingTimeInterval(-3600))
            let answer = try await client.post("/search/user", ["keyword": "abc"], token: expired)
            #expect(answer.status == .unauthorized)
            #expect(answer.data.string == "token 已过期! 请重新获取令牌")
            #expect(answer.code == "token_expired")

            let otherKey = try await TokenAuthority(secret: String(repeating: "k", count: 40), lifetime: .seconds(60))
            let forged = try await otherKey.sign(userID: account.id, sessionID: sessionID)
            #expect(try await client.post("/search/user", ["keyword": "abc"], token: forged).code == "token_invalid")
        }
    }

    @Test func refusesDisabledUsersWith403() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            try await withTestDatabase { try await $0.setStatus(userID: account.id, 0) }
            let answer = try await client.post("/search/user", ["keyword": "abc"], token: account.token)
            #expect(answer.status == .forbidden)
            #expect(answer.data.string == "用户不存在或已被禁用")
            #expect(answer.code == "user_disabled")
        }
    }

    @Test func tokensCarryTheClaimsOfAPI() async throws {
        let authority = try await TokenAuthority(secret: TestEnvironment.jwtSecret, lifetime: .seconds(604_800))
        let session = UUID()
        let token = try await authority.sign(userID: 42, sessionID: session)
        let payload = try #require(token.split(separator: ".").dropFirst().first)
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let claims = try JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!) as! [String: Any]
        #expect(Set(claims.keys) == ["sub", "sid", "iat", "exp"])
        #expect(claims["sub"] as? String == "42")
        #expect((claims["exp"] as! Double) - (claims["iat"] as! Double) == 604_800)
        let identity = try authority.verify(token)
        #expect(identity.userID == 42)
        #expect(identity.sessionID == session)
    }

    @Test func refusesShortSecrets() async throws {
        await #expect(throws: ConfigurationError.self) {
            _ = try await TokenAuthority(secret: "too-short", lifetime: .seconds(60))
        }
        var configuration = ParleyConfiguration()
        configuration.jwtSecret = nil
        #expect(throws: ConfigurationError.self) { try configuration.requiredJWTSecret() }
    }
}
