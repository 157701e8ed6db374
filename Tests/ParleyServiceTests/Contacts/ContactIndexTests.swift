import Testing
@testable import ParleyService

/// The grouping of `GET /friend/list`, without a database.
@Suite("ContactIndex")
struct ContactIndexTests {
    @Test(arguments: [
        ("alice", "A"), ("Bob", "B"), ("Émile", "E"), ("éclair", "E"), ("Ａlice", "A"),
        ("张三", "Z"), ("李四", "L"), ("王", "W"), ("欧阳", "O"),
        ("9lives", "#"), ("123", "#"), ("😀smile", "#"), ("_x", "#"), ("Ωmega", "#"), ("", "#"),
    ])
    func initials(name: String, title: String) {
        #expect(ContactIndex.initial(of: name) == title)
    }

    @Test func groupsLettersFirstThenHash() {
        let names = ["9lives", "zed", "张三", "alice", "😀", "Zoe", "李四", "Bob", "Émile", "lucy"]
        let items = names.enumerated().map { item(id: $0.offset + 1, name: $0.element) }
        let groups = ContactIndex.groups(items)
        #expect(groups.map(\.title) == ["A", "B", "E", "L", "Z", "#"])
        #expect(groups.map { $0.list.map(\.name) } == [
            ["alice"], ["Bob"], ["Émile"],
            ["李四", "lucy"],  // "li si" < "lucy"
            ["zed", "张三", "Zoe"],  // "zed" < "zhang san" < "zoe"
            ["9lives", "😀"],
        ])
    }

    @Test func ordersEqualNamesByUserID() {
        let groups = ContactIndex.groups([item(id: 3, name: "amy"), item(id: 1, name: "amy"), item(id: 2, name: "Amy")])
        #expect(groups.map(\.title) == ["A"])
        // Same key "amy": then by the name ("Amy" < "amy"), then by id.
        #expect(groups[0].list.map(\.id) == [2, 1, 3])
    }

    @Test func noFriendsNoGroups() {
        #expect(ContactIndex.groups([]).isEmpty)
    }

    private func item(id: Int, name: String) -> FriendListItem {
        FriendListItem(id: id, name: name, username: "user\(id)", avatar: "", star: 0, isblack: 0)
    }
}
