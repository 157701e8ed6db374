import Foundation
import Testing
@testable import ParleyService

@Suite("POST /login and /logout, sessions")
struct LoginTests {
    @Test func answersMeWithAToken() async throws {
        try await withParley { client in
            let username = TestEnvironment.uniqueUsername()
            _ = try await client.post("/reg", ["username": username, "password": "secret123", "repassword": "secret123"])
            let answer = try await client.post("/login", ["username": username, "password": "secret123"])
            #expect(answer.status == .ok)
            #expect(answer.data.keys == [
                "id", "username", "nickname", "avatar", "sex", "sign", "area", "created_at", "updated_at",
                "email", "phone", "status", "token",
            ])
            #expect(answer.data["status"].int == 1)
            let token = try #require(answer.data["token"].string)
            let identity = try await TokenAuthority(secret: TestEnvironment.jwtSecret, lifetime: .seconds(60)).verify(token)
            #expect(identity.userID == answer.data["id"].int)
        }
    }

    @Test func refusesUnknownUsersWrongPasswordsAndDisabledAccounts() async throws {
        try await withParley { client in
            let unknown = try await client.post("/login", ["username": TestEnvironment.uniqueUsername(), "password": "secret123"])
            #expect(unknown.status == .badRequest)
            #expect(unknown.data.string == "用户不存在或已被禁用")
            #expect(unknown.code == "login_failed")

            let account = try await client.signUp()
            let wrong = try await client.post("/login", ["username": account.username, "password": "not-it-123"])
            #expect(wrong.status == .badRequest)
            #expect(wrong.data.string == "密码错误")
            #expect(wrong.code == "wrong_password")

            try await withTestDatabase { try await $0.setStatus(userID: account.id, 0) }
            let disabled = try await client.post("/login", ["username": account.username, "password": account.password])
            #expect(disabled.status == .badRequest)
            #expect(disabled.code == "login_failed")
        }
    }

    @Test func requiresBothFields() async throws {
        try await withParley { client in
            let noName = try await client.post("/login", ["password": "secret123"])
            #expect(noName.status == .unprocessableContent)
            #expect(noName.data.string == "用户名不能为空")
            let noPassword = try await client.post("/login", ["username": "someone"])
            #expect(noPassword.data.string == "密码不能为空")
        }
    }

    @Test func aSecondLoginRevokesTheFirstToken() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let second = try await client.login(account.username, password: account.password)
            let old = try await client.post("/search/user", ["keyword": account.username], token: account.token)
            #expect(old.status == .unauthorized)
            #expect(old.data.string == "Token 令牌不合法!")
            #expect(old.code == "token_invalid")
            let current = try await client.post("/search/user", ["keyword": account.username], token: second)
            #expect(current.status == .ok)
        }
    }

    @Test func concurrentLoginsLeaveExactlyOneWorkingToken() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            async let first = client.login(account.username, password: account.password)
            async let second = client.login(account.username, password: account.password)
            let tokens = try await [first, second]
            var working = 0
            for token in tokens where try await client.post("/search/user", ["keyword": "x"], token: token).status == .ok {
                working += 1
            }
            #expect(working == 1)
            let active = try await withTestDatabase { database in
                try await database.query("SELECT count(*) FROM sessions WHERE user_id = \(account.id) AND revoked_at IS NULL")
                    .decode(Int.self).all()
            }
            #expect(active == [1])
        }
    }

    @Test func logoutRevokesTheSession() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let answer = try await client.post("/logout", token: account.token)
            #expect(answer.status == .ok)
            #expect(answer.data.string == "退出成功")
            let after = try await client.post("/logout", token: account.token)
            #expect(after.status == .unauthorized)
            #expect(after.code == "token_invalid")
        }
    }

    @Test func tenFailuresWithinFiveMinutesLockTheUsernameOnEveryAttempt() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            for _ in 0..<10 {
                let wrong = try await client.post("/login", ["username": account.username, "password": "wrong-one"])
                #expect(wrong.code == "wrong_password")
            }
            let limited = try await client.post("/login", ["username": account.username, "password": account.password])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.data.string == "尝试次数过多，请稍后再试")
            #expect(limited.code == "rate_limited")

            // Unknown usernames are counted too; other usernames are not affected.
            let ghost = TestEnvironment.uniqueUsername()
            for _ in 0..<10 { _ = try await client.post("/login", ["username": ghost, "password": "whatever1"]) }
            #expect(try await client.post("/login", ["username": ghost, "password": "whatever1"]).code == "rate_limited")
            let other = try await client.signUp()
            _ = try await client.login(other.username, password: other.password)
        }
    }

    /// Counted before the password is checked, in one step: a burst of concurrent guesses gets no
    /// more checks than the limit (the old check-then-count let 11–27 of 40 through).
    @Test func aBurstOfGuessesGetsNoMoreChecksThanTheLimit() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            let codes = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.post("/login", ["username": account.username, "password": "wrong-one"]).code }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(codes.filter { $0 == "wrong_password" }.count == LoginThrottle.maximumFailures)
            #expect(codes.filter { $0 == "rate_limited" }.count == 40 - LoginThrottle.maximumFailures)
        }
    }

    @Test func theCounterKeyIsAFixedSizeHashOfTheUsername() {
        let keys = ClusterKeys(prefix: "p:")
        let key = keys.loginAttempts("someone-rather-long-name")
        #expect(key.hasPrefix("p:login-attempts:"))
        #expect(key.count == "p:login-attempts:".count + 32)
        #expect(!key.contains("someone"))
        #expect(keys.loginAttempts("someone-rather-long-name") == key)
        #expect(keys.loginAttempts("someone-else") != key)
    }

    @Test func aSuccessfulLoginClearsEarlierFailures() async throws {
        try await withParley { client in
            let account = try await client.signUp()
            for _ in 0..<9 { _ = try await client.post("/login", ["username": account.username, "password": "wrong-one"]) }
            _ = try await client.login(account.username, password: account.password)
            for _ in 0..<9 { _ = try await client.post("/login", ["username": account.username, "password": "wrong-one"]) }
            _ = try await client.login(account.username, password: account.password)
        }
    }
}
