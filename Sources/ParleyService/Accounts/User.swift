import Foundation

/// An account as stored, without its password hash.
struct User: Sendable, Equatable {
    var id: Int
    var username: String
    var nickname: String
    var avatar: String
    var sex: String
    var sign: String
    var area: String
    var email: String
    var phone: String
    var status: Int
    var createdAt: Date
    var updatedAt: Date

    var isEnabled: Bool { status == 1 }

    /// The name a person sees: the nickname, else the username.
    var displayName: String { nickname.isEmpty ? username : nickname }
}

/// The public view of a user (API.md §3).
struct Profile: Encodable, Sendable, Equatable {
    let id: Int
    let username: String
    let nickname: String
    let avatar: String
    let sex: String
    let sign: String
    let area: String
    let createdAt: Date
    let updatedAt: Date

    init(_ user: User) {
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
struct Me: Encodable, Sendable {
    let profile: Profile
    let email: String
    let phone: String
    let status: Int
    let token: String

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

    func encode(to encoder: any Encoder) throws {
        try profile.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(email, forKey: .email)
        try container.encode(phone, forKey: .phone)
        try container.encode(status, forKey: .status)
        try container.encode(token, forKey: .token)
    }
}
