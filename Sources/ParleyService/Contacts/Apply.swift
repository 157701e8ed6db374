import Foundation

/// Where a friend request stands.
public enum ApplyStatus: String, Sendable, Encodable {
    case pending
    case refuse
    case agree
    case ignore
}

/// A friend request from `userID` to `friendID` (API.md §3).
public struct Apply: Encodable, Sendable, Equatable {
    public let id: Int
    public let userID: Int
    public let friendID: Int
    /// The applicant's remark for the person asked.
    public let nickname: String
    public let lookme: Int
    public let lookhim: Int
    public let status: ApplyStatus
    public let createdAt: Date
    public let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, nickname, lookme, lookhim, status
        case userID = "user_id"
        case friendID = "friend_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// The few public fields of a user shown beside a request: `{id, username, nickname, avatar}`.
public struct UserSummary: Encodable, Sendable, Equatable {
    public let id: Int
    public let username: String
    public let nickname: String
    public let avatar: String
}

/// A request sent to me, with its applicant: Apply + `{"user": {…}}`.
public struct ReceivedApply: Encodable, Sendable {
    public let apply: Apply
    public let user: UserSummary

    enum CodingKeys: String, CodingKey {
        case user
    }

    public func encode(to encoder: any Encoder) throws {
        try apply.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user, forKey: .user)
    }
}

/// `GET /apply/:page`: one page of the requests sent to me and how many of all of them are pending.
public struct ApplyPage: Encodable, Sendable {
    public let rows: [ReceivedApply]
    public let count: Int
}
