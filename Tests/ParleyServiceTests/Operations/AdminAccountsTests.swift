import HTTPTypes
import Testing
@testable import ParleyService

/// The account view of docs/api.md §9 against real PostgreSQL and Redis: search, one account's
/// sessions, revoking them all.
@Suite("Admin accounts (docs/api.md §9)")
struct AdminAccountsTests {
    static let adminToken = "admin-accounts-tests-token"

    func withAdmin(_ body: @Sendable (ParleyClient) async throws -> Void) async throws {
        var configuration = TestEnvironment.configuration()
        configuration.adminToken = Self.adminToken
        try await withParley(configuration, body)
    }

    func admin(_ client: ParleyClient, _ method: HTTPRequest.Method, _ path: String) async throws -> Answer {
        try await client.request(method, path, headers: [.authorization: "Bearer \(Self.adminToken)"])
    }

    @Test func searchFindsAnIdOrAUsernamePrefixDisabledAccountsIncluded() async throws {
        try await withAdmin { client in
            let stem = TestEnvironment.uniqueUsername("s_")
            let first = try await client.signUp(stem + "a")
            let second = try await client.signUp(stem + "b")
            try await withTestDatabase { try await $0.setStatus(userID: second.id, 0) }
            let byPrefix = try await admin(client, .get, "/admin/users?q=\(stem)")
            #expect(byPrefix.status == .ok)
            #expect(byPrefix.data["users"].array?.compactMap { $0["id"].int } == [first.id, second.id])
            #expect(byPrefix.data["users"][1]["status"].int == 0)
            #expect(byPrefix.data["users"][0]["username"].string == first.username)
            // `_` is a character to LIKE: here it matches only itself.
            let wildcard = try await admin(client, .get, "/admin/users?q=\(stem.replacingOccurrences(of: "_", with: "x"))")
            #expect(wildcard.data["users"].array?.isEmpty == true)
            let byID = try await admin(client, .get, "/admin/users?q=\(second.id)")
            #expect(byID.data["users"][0]["id"].int == second.id)
            let empty = try await admin(client, .get, "/admin/users?q=")
            #expect(empty.status == .unprocessableContent)
        }
    }

    @Test func anAccountShowsItsSessionsAndARevokeEndsThemAll() async throws {
        try await withAdmin { client in
            let account = try await client.signUp()
            let token = try await client.login(account.username, password: account.password)
            let detail = try await admin(client, .get, "/admin/users/\(account.id)")
            #expect(detail.status == .ok)
            #expect(detail.data["user"]["id"].int == account.id)
            #expect(detail.data["presence"]["online"] == .bool(false))
            #expect(detail.data["presence"]["node"] == .null)
            let sessions = detail.data["sessions"].array ?? []
            #expect(sessions.map { $0["active"] } == [.bool(true), .bool(false)])
            #expect(sessions.map { $0["revoked_reason"] } == [.null, .string("superseded")])

            #expect(try await admin(client, .post, "/admin/users/\(account.id)/revoke").status == .ok)
            #expect(try await client.post("/logout", token: token).code == "token_invalid")
            let revoked = try await admin(client, .get, "/admin/users/\(account.id)")
            #expect(revoked.data["sessions"][0]["revoked_reason"].string == "logged_out")
            #expect(revoked.data["user"]["status"].int == 1)
            _ = try await client.login(account.username, password: account.password)

            #expect(try await admin(client, .get, "/admin/users/999999999").code == "user_not_found")
            #expect(try await client.get("/admin/users/\(account.id)").status == .unauthorized)
        }
    }
}
