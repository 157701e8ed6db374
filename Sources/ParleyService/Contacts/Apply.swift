import Foundation

/// Where a friend request stands.
enum ApplyStatus: String, Sendable, Encodable {
    case pending
    case refuse
    case agree
    case ignore
}

/// A friend request from `userID` to `friendID` (API.md §3).
struct Apply: Encodable, Sendable, Equatable {
    let id: Int
    let userID: Int
    let friendID: Int
    /// The applicant's remark for the person asked.
    let nickname: String
    let lookme: Int
    let lookhim: Int
    let status: ApplyStatus
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, nickname, lookme, lookhim, status
        case userID = "user_id"
        case friendID = "friend_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// The few public fields of a user shown beside a request: `{id, username, nickname, avatar}`.
struct UserSummary: Encodable, Sendable, Equatable {
    let id: Int
    let username: String
    let nickname: String
    let avatar: String
}

/// A request sent to me, with its applicant: Apply + `{"user": {…}}`.
struct ReceivedApply: Encodable, Sendable {
    let apply: Apply
    let user: UserSummary

    enum CodingKeys: String, CodingKey {
        case user
    }

    func encode(to encoder: any Encoder) throws {
        try apply.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user, forKey: .user)
    }
}

/// `GET /apply/:page`: one page of the requests sent to me and how many of all of them are pending.
struct ApplyPage: Encodable, Sendable {
    let rows: [ReceivedApply]
    let count: Int
}
