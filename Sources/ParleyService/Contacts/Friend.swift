import Foundation

/// One friend in `GET /friend/list`: `id` and `user_id` are both the friend's user id, `name` is my
/// remark for them, else their nickname, else their username.
struct FriendListItem: JSONObjectWritable, Sendable, Equatable {
    let id: Int
    let name: String
    let username: String
    let avatar: String
    let star: Int
    let isblack: Int

    func encode(to encoder: any Encoder) throws {
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
struct FriendList: Encodable, Sendable {
    let count: Int
    let rows: Rows

    struct Rows: Encodable, Sendable {
        let newList: [ContactGroup]
        let indexList: [String]
        let total: Int
    }

    init(_ friends: [FriendListItem]) {
        let groups = ContactIndex.groups(friends)
        count = friends.count
        rows = Rows(newList: groups, indexList: groups.map(\.title), total: friends.count)
    }
}

/// My side of a friendship, as `GET /friend/read/:id` shows it.
struct Friendship: Sendable, Equatable {
    /// My remark for them; `""` for none.
    let remark: String
    let lookme: Int
    let lookhim: Int
    let star: Int
    let isblack: Int
    /// The names of my tags on them.
    let tags: [String]
}

/// `GET /friend/read/:id`: the profile (its `nickname` being my remark, else theirs, else the
/// username), `friend`, and my side of the friendship when there is one.
struct FriendProfile: Encodable, Sendable {
    let profile: Profile
    let friendship: Friendship?

    init(user: User, friendship: Friendship?) {
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

    func encode(to encoder: any Encoder) throws {
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
struct Tag: Encodable, Sendable, Equatable {
    let id: Int
    let name: String
}

/// `GET /tag/read/:id`: one of my tags and the friends I gave it, in the contact list's order.
struct TagMembers: Encodable, Sendable {
    let id: Int
    let name: String
    let list: [FriendListItem]

    init(tag: Tag, friends: [FriendListItem]) {
        id = tag.id
        name = tag.name
        list = ContactIndex.groups(friends).flatMap(\.list)
    }
}
