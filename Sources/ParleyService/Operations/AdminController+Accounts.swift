import Foundation
import Hummingbird

/// The dashboard's account view (docs/api.md §9): search by id or username, and one account's
/// presence and sessions. Its actions (kick, disable, enable, revoke) are in ``AdminController``.
extension AdminController {
    /// An account as an operator sees it: its profile (API.md §3) and whether it is enabled.
    struct Account: Encodable, Sendable {
        let profile: Profile
        let status: Int

        init(_ user: User) {
            profile = Profile(user)
            status = user.status
        }

        enum CodingKeys: String, CodingKey { case status }

        func encode(to encoder: any Encoder) throws {
            try profile.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
        }
    }

    struct SearchAnswer: Encodable, Sendable {
        let users: [Account]
    }

    struct AccountAnswer: Encodable, Sendable {
        let user: Account
        let presence: PresenceAnswer
        let sessions: [SessionRecord]
    }

    static let queryField = Field("q", chinese: "关键词", english: "q")
    /// Accounts a search answers at most.
    static let searchLimit = 20

    @Sendable func searchUsers(_ request: Request, context: AppRequestContext) async throws -> Envelope<SearchAnswer> {
        let text: String = request.uri.queryParameters.get("q") ?? ""
        let query = try RequestFields([Self.queryField.key: .string(text)]).string(Self.queryField, length: 1...50)
        let found = try await users.search(query.precomposedStringWithCanonicalMapping, limit: Self.searchLimit)
        return Envelope(SearchAnswer(users: found.map(Account.init)))
    }

    @Sendable func account(_ request: Request, context: AppRequestContext) async throws -> Envelope<AccountAnswer> {
        let user = try await existingUser(context)
        async let history = sessions.history(userID: user.id)
        let found = try await redis { try await accounts.presence(userID: user.id) }
        return Envelope(
            AccountAnswer(
                user: Account(user),
                presence: PresenceAnswer(found),
                sessions: try await history
            )
        )
    }
}
