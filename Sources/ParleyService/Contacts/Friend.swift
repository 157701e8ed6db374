import Foundation

/// One friend in `GET /friend/list`: `id` and `user_id` are both the friend's user id, `name` is my
/// remark for them, else their nickname, else their username.
public struct FriendListItem: JSONObjectWritable, Sendable, Equatable {
    public let id: Int
    public let name: String
    public let username: String
    public let avatar: String
    public let star: Int
    public let isblack: Int

    public init(id: Int, name: String, username: String, avatar: String, star: Int, isblack: Int) {
        self.id = id
        self.name = name
        self.username = username
        self.avatar = avatar
        self.star = star
        self.isblack = isblack
    }

    public func encode(to encoder: any Encoder) throws {
        try encodeMembers(to: encoder)
    }

    func writeMembers(to members: inout JSONMembers) throws {
        try members.write(id, for: "id")
        try members.write(id, for: "user_id")
        try members.write(name, for: "name")
        try members.write(username, for: "username")
        try members.write(avatar, for: "avatar")
        try members.write(star, for: "star")
        try members.write(isblack, for: "isblack")
    }
}

/// `GET /friend/list`: `{"count": N, "rows": {"newList": […], "indexList": […], "total": N}}`.
public struct FriendList: Encodable, Sendable {
    public let count: Int
    public let rows: Rows

    public struct Rows: Encodable, Sendable {
        public let newList: [ContactGroup]
        public let indexList: [String]
        public let total: Int
    }

    public init(_ friends: [FriendListItem]) {
        let groups = ContactIndex.groups(friends)
        count = friends.count
        rows = Rows(newList: groups, indexList: groups.map(\.title), total: friends.count)
    }
}

/// My side of a friendship, as `GET /friend/read/:id` shows it.
public struct Friendship: Sendable, Equatable {
    /// My remark for them; `""` for none.
    public let remark: String
    public let lookme: Int
    public let lookhim: Int
    public let star: Int
    public let isblack: Int
    /// The names of my tags on them.
    public let tags: [String]
}

/// `GET /friend/read/:id`: the profile (its `nickname` being my remark, else theirs, else the
/// username), `friend`, and my side of the friendship when there is one.
public struct FriendProfile: Encodable, Sendable {
    public let profile: Profile
    public let friendship: Friendship?

    public init(user: User, friendship: Friendship?) {
        var shown = user
        if let remark = friendship?.remark, !remark.isEmpty {
            shown.nickname = remark
        } else {
            shown.nickname = user.displayName
        }
        profile = Profile(shown)
        self.friendship = friendship
    }

    enum CodingKeys: String, CodingKey {
        case friend, lookme, lookhim, star, isblack, tags, moments
    }

    public func encode(to encoder: any Encoder) throws {
        try profile.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(friendship != nil, forKey: .friend)
        guard let friendship else { return }
        try container.encode(friendship.lookme, forKey: .lookme)
        try container.encode(friendship.lookhim, forKey: .lookhim)
        try container.encode(friendship.star, forKey: .star)
        try container.encode(friendship.isblack, forKey: .isblack)
        try container.encode(friendship.tags, forKey: .tags)
        // Moments do not exist yet: always an empty array, as API.md says.
        try container.encode([String](), forKey: .moments)
    }
}

/// One of my tags (`GET /tag/list`).
public struct Tag: Encodable, Sendable, Equatable {
    public let id: Int
    public let name: String
}

/// `GET /tag/read/:id`: one of my tags and the friends I gave it, in the contact list's order.
public struct TagMembers: Encodable, Sendable {
    public let id: Int
    public let name: String
    public let list: [FriendListItem]

    public init(tag: Tag, friends: [FriendListItem]) {
        id = tag.id
        name = tag.name
        list = ContactIndex.groups(friends).flatMap(\.list)
    }
}
