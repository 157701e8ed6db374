import Foundation

/// An account as stored, without its password hash.
public struct User: Sendable, Equatable {
    public var id: Int
    public var username: String
    public var nickname: String
    public var avatar: String
    public var sex: String
    public var sign: String
    public var area: String
    public var email: String
    public var phone: String
    public var status: Int
    public var createdAt: Date
    public var updatedAt: Date

    public var isEnabled: Bool { status == 1 }

    /// The name a person sees: the nickname, else the username.
    public var displayName: String { nickname.isEmpty ? username : nickname }
}

/// The public view of a user (API.md §3).
public struct Profile: Encodable, Sendable, Equatable {
    public let id: Int
    public let username: String
    public let nickname: String
    public let avatar: String
    public let sex: String
    public let sign: String
    public let area: String
    public let createdAt: Date
    public let updatedAt: Date

    public init(_ user: User) {
        id = user.id
        username = user.username
        nickname = user.nickname
        avatar = user.avatar
        sex = user.sex
        sign = user.sign
        area = user.area
        createdAt = user.createdAt
        updatedAt = user.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, username, nickname, avatar, sex, sign, area
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// The signed-in user's own view, answered by `POST /login`: the profile plus private fields and
/// the token.
public struct Me: Encodable, Sendable {
    public let profile: Profile
    public let email: String
    public let phone: String
    public let status: Int
    public let token: String

    init(user: User, token: String) {
        profile = Profile(user)
        email = user.email
        phone = user.phone
        status = user.status
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case email, phone, status, token
    }

    public func encode(to encoder: any Encoder) throws {
        try profile.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(email, forKey: .email)
        try container.encode(phone, forKey: .phone)
        try container.encode(status, forKey: .status)
        try container.encode(token, forKey: .token)
    }
}
