import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

/// Sliding sessions and what an expired token answers (docs/api.md §2), checked with the old
/// client's own comparison: it signs a person out only when `data == "Token 令牌不合法!"`. Renewal
/// is what keeps that client signed in: an expired token answers API.md §2's own text.
@Suite("Session renewal (docs/api.md §2)")
struct SessionRenewalTests {
    static let lifetime: TimeInterval = 604_800

    /// The old client's check, as it is written there.
    static func oldClientSignsOut(_ answer: Answer) -> Bool {
        answer.status != .ok && answer.data.string == "Token 令牌不合法!"
    }

    /// A token of `account`'s current session, signed as if `age` seconds ago.
    static func token(of account: Account, signedAgo age: TimeInterval) async throws -> String {
        let authority = try await TokenAuthority(secret: TestEnvironment.jwtSecret, lifetime: .seconds(Int64(lifetime)))
        let sessionID = try await withTestDatabase { try await $0.activeSession(of: account.id) }
        return try await authority.sign(userID: account.id, sessionID: sessionID, now: Date().addingTimeInterval(-age))
    }

    @Test func aFreshTokenIsNotRenewed() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.post("/search/user", ["keyword": me.username], token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.headers[.parleyToken] == nil)
        }
    }

    @Test func aTokenInTheLastHalfOfItsLifeGetsAFreshOneAndTheSessionSlides() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            // Six days into a seven-day session.
            try await withTestDatabase { try await $0.setSessionExpiry(of: me.id, inSeconds: 86_400) }
            let old = try await Self.token(of: me, signedAgo: 6 * 86_400)
            let answer = try await client.post("/search/user", ["keyword": me.username], token: old)
            #expect(answer.status == .ok)
            let renewed = try #require(answer.headers[.parleyToken])
            let authority = try await TokenAuthority(secret: TestEnvironment.jwtSecret, lifetime: .seconds(604_800))
            let identity = try authority.verify(renewed)
            #expect(identity.expiresAt.timeIntervalSinceNow > Self.lifetime - 60)
            let sessionLeft = try await withTestDatabase { try await $0.sessionSecondsLeft(of: me.id) }
            #expect(sessionLeft > Self.lifetime - 60)
            // Both work: the renewed one, and the old one until its own exp.
            #expect(try await client.post("/search/user", ["keyword": me.username], token: renewed).status == .ok)
            #expect(try await client.post("/search/user", ["keyword": me.username], token: old).status == .ok)
        }
    }

    @Test func refreshAnswersATokenInTheBodyAndTheHeader() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.post("/token/refresh", token: me.token)
            #expect(answer.status == .ok)
            let token = try #require(answer.data["token"].string)
            #expect(answer.headers[.parleyToken] == token)
            #expect(answer.data["expires_at"].string?.hasSuffix("Z") == true)
            #expect(try await client.post("/search/user", ["keyword": me.username], token: token).status == .ok)

            // Revoked with its session: a login elsewhere signs the old client out.
            _ = try await client.login(me.username, password: me.password)
            let revoked = try await client.post("/search/user", ["keyword": me.username], token: token)
            #expect(Self.oldClientSignsOut(revoked))
            #expect(revoked.code == "token_invalid")
        }
    }

    @Test func anExpiredTokenAnswersTheContractsTextAndCannotBeRefreshed() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let expired = try await Self.token(of: me, signedAgo: Self.lifetime + 60)
            for path in ["/search/user", "/token/refresh"] {
                let answer = try await client.post(path, ["keyword": me.username], token: expired)
                #expect(answer.status == .unauthorized)
                #expect(answer.data.string == "token 已过期! 请重新获取令牌")
                #expect(answer.code == "token_expired")
            }
        }
    }
}

extension Database {
    func activeSession(of userID: Int) async throws -> UUID {
        try await query("SELECT id FROM sessions WHERE user_id = \(userID) AND revoked_at IS NULL")
            .decode(UUID.self).all().first!
    }

    func setSessionExpiry(of userID: Int, inSeconds seconds: Double) async throws {
        _ = try await query(
            """
            UPDATE sessions SET expires_at = now() + make_interval(secs => \(seconds))
            WHERE user_id = \(userID) AND revoked_at IS NULL
            """
        ).all()
    }

    func sessionSecondsLeft(of userID: Int) async throws -> Double {
        try await query(
            "SELECT extract(epoch FROM expires_at - now())::float8 FROM sessions WHERE user_id = \(userID) AND revoked_at IS NULL"
        ).decode(Double.self).all().first!
    }
}
