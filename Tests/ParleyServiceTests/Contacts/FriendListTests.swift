import Testing
@testable import ParleyService

@Suite("GET /friend/list")
struct FriendListTests {
    @Test func isEmptyWithoutFriends() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.get("/friend/list", token: me.token)
            #expect(answer.status == .ok)
            #expect(
                answer.data
                    == .object([
                        "count": .integer(0),
                        "rows": .object(["newList": .array([]), "indexList": .array([]), "total": .integer(0)]),
                    ])
            )
        }
    }

    @Test func groupsByInitialWithChineseByPinyinAndOthersLast() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            var friends: [String: Account] = [:]
            // Nicknames, except "Remarked" (my remark wins) and "" (the username, which starts with u).
            for nickname in ["bob", "张三", "Alice", "9lives", "李四", "Zoe", "Nick", ""] {
                let friend = try await client.signUp()
                if !nickname.isEmpty {
                    try await withTestDatabase { try await $0.setNickname(userID: friend.id, nickname) }
                }
                try await client.befriend(friend, me)
                friends[nickname] = friend
            }
            let remarked = try #require(friends["Nick"])
            let remark = try await client.post("/friend/setremarktag/\(remarked.id)", ["nickname": "Remarked", "tags": ""], token: me.token)
            #expect(remark.status == .ok)
            // Someone else's friendship is not in my list.
            try await client.befriend(try await client.signUp(), try await client.signUp())

            let answer = try await client.get("/friend/list", token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data.keys == ["count", "rows"])
            #expect(answer.data["count"].int == 8)
            #expect(answer.data["rows"].keys == ["newList", "indexList", "total"])
            #expect(answer.data["rows"]["total"].int == 8)
            let titles = ["A", "B", "L", "R", "U", "Z", "#"]
            #expect(answer.data["rows"]["indexList"] == .array(titles.map(JSONValue.string)))
            let groups = try #require(answer.data["rows"]["newList"].array)
            #expect(groups.map { $0.keys } == Array(repeating: ["title", "list"], count: titles.count))
            #expect(groups.map { $0["title"].string } == titles)
            let names = groups.map { $0["list"].array?.map { $0["name"].string } ?? [] }
            let noNickname = try #require(friends[""])
            #expect(names == [["Alice"], ["bob"], ["李四"], ["Remarked"], [noNickname.username], ["张三", "Zoe"], ["9lives"]])

            let item = groups[0]["list"][0]
            let alice = try #require(friends["Alice"])
            #expect(item.keys == ["id", "user_id", "name", "username", "avatar", "star", "isblack"])
            #expect(item["id"].int == alice.id)
            #expect(item["user_id"].int == alice.id)
            #expect(item["username"].string == alice.username)
            #expect(item["avatar"].string == "")
            #expect(item["star"].int == 0)
            #expect(item["isblack"].int == 0)
        }
    }

    @Test func showsStarsAndBlacklistedFriends() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let starred = try await client.signUp()
            let blocked = try await client.signUp()
            try await client.befriend(me, starred)
            try await client.befriend(me, blocked)
            #expect(try await client.post("/friend/setstar/\(starred.id)", ["star": 1], token: me.token).status == .ok)
            #expect(try await client.post("/friend/setblack/\(blocked.id)", ["isblack": 1], token: me.token).status == .ok)
            let answer = try await client.get("/friend/list", token: me.token)
            let items = answer.data["rows"]["newList"][0]["list"].array ?? []
            let byID = Dictionary(uniqueKeysWithValues: items.map { ($0["id"].int ?? 0, $0) })
            #expect(answer.data["count"].int == 2)
            #expect(byID[starred.id]?["star"].int == 1)
            #expect(byID[starred.id]?["isblack"].int == 0)
            #expect(byID[blocked.id]?["isblack"].int == 1)
        }
    }

    /// A node answers the list from memory while its version is unchanged
    /// (`sql/0010_contact_list_versions.sql`). Every change to what it shows, made through another
    /// node (its own cache) or straight in the database, must reach this node's next answer.
    @Test func aKeptListNeverHidesAChangeMadeElsewhere() async throws {
        try await withParley { here in
            try await withParley { elsewhere in
                let me = try await here.signUp()
                let friend = try await here.signUp()
                try await here.befriend(me, friend)
                func shown() async throws -> JSONValue {
                    let answer = try await here.get("/friend/list", token: me.token)
                    #expect(answer.status == .ok)
                    return answer.data["rows"]["newList"][0]["list"][0]
                }
                #expect(try await shown()["name"].string == friend.username)
                #expect(try await shown()["name"].string == friend.username)  // now kept

                #expect(try await elsewhere.post("/friend/setstar/\(friend.id)", ["star": 1], token: me.token).status == .ok)
                #expect(try await shown()["star"].int == 1)
                let remark = try await elsewhere.post("/friend/setremarktag/\(friend.id)", ["nickname": "Remarked", "tags": ""], token: me.token)
                #expect(remark.status == .ok)
                #expect(try await shown()["name"].string == "Remarked")
                // As POST /user/update writes it (which takes only an uploaded image's URL).
                try await withTestDatabase { database in
                    _ = try await database.query("UPDATE users SET avatar = '/media/a.png' WHERE id = \(friend.id)")
                }
                #expect(try await shown()["avatar"].string == "/media/a.png")
                try await withTestDatabase { try await $0.setNickname(userID: friend.id, "Renamed") }
                let remarkCleared = try await elsewhere.post("/friend/setremarktag/\(friend.id)", ["nickname": "", "tags": ""], token: me.token)
                #expect(remarkCleared.status == .ok)
                #expect(try await shown()["name"].string == "Renamed")
                try await withTestDatabase { try await $0.setNickname(userID: friend.id, "Renamed again") }
                #expect(try await shown()["name"].string == "Renamed again")
                // Last: a blacklisted friend can have no remark or star set.
                #expect(try await elsewhere.post("/friend/setblack/\(friend.id)", ["isblack": 1], token: me.token).status == .ok)
                #expect(try await shown()["isblack"].int == 1)

                #expect(try await elsewhere.post("/friend/destroy", ["friend_id": friend.id], token: me.token).status == .ok)
                let emptied = try await here.get("/friend/list", token: me.token)
                #expect(emptied.data["count"].int == 0)
            }
        }
    }
}
