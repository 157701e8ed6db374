import Foundation
import Testing
@testable import ParleyService

/// ``JSONWriter`` is Parley's only JSON producer, and a fast one because it is its own: every type
/// Parley sends (an answer's `data`, a socket frame) or keeps in Redis is encoded with it and with
/// Foundation's `JSONEncoder`, and both texts must parse to the same value, so the fast path can
/// never drift from what `Encodable` means.
@Suite("JSON drift")
struct JSONDriftTests {
    @Test(arguments: Self.specimens.indices)
    func writerAndFoundationAgree(_ index: Int) throws {
        let value = Self.specimens[index]
        #expect(try Self.parsed(Data(JSONWriter.encode(value))).isEqual(Self.parsed(Self.foundation.encode(value))), "\(type(of: value))")
    }

    /// The comparison itself sees a difference deep in a value.
    @Test func theComparisonSeesDifferences() throws {
        let value = try Self.parsed(Data(#"{"a":[1,{"b":"x"}]}"#.utf8))
        #expect(value.isEqual(try Self.parsed(Data(#"{"a":[1.0,{"b":"x"}]}"#.utf8))))
        #expect(!value.isEqual(try Self.parsed(Data(#"{"a":[1,{"b":"y"}]}"#.utf8))))
    }

    /// A socket frame is a fixed text around its payload's (``ServerFrame``, so that a delivery pass
    /// sizes frames without building them); the whole is byte for byte the writer's text of the frame.
    @Test func socketFramesAreTheWritersText() throws {
        struct Frame<Payload: Encodable>: Encodable {
            let msg: String
            let data: Payload
        }
        #expect(ServerFrame.chatMessage(json: try Self.message.jsonText()).text == (try Frame(msg: "ok", data: Self.message).jsonText()))
        #expect(ServerFrame.recall(json: try Self.notice.jsonText()).text == (try Frame(msg: "recall", data: Self.notice).jsonText()))
        #expect(ServerFrame.updateApplyList.text == (try Frame(msg: "updateApplyList", data: "").jsonText()))
        for reason in SocketCloseReason.allCases {
            #expect(ServerFrame.fail(reason).text == (try FailureBody(data: reason.text, code: reason.code).jsonText()))
        }
    }

    /// A JSON text as Foundation reads it, in an array: fragments and containers compare alike.
    private static func parsed(_ json: Data) throws -> NSArray {
        NSArray(array: [try JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed)])
    }

    /// A new `Encodable` type in ParleyService fails here until it has a specimen.
    @Test func everyEncodableTypeHasASpecimen() throws {
        let specimenTypes = Set(Self.specimens.map { String(String(describing: type(of: $0)).prefix { $0 != "<" }) })
        #expect(try Self.encodableTypesInSources() == specimenTypes)
    }

    /// Foundation's encoder with the writer's date form.
    private static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(from: date))
        }
        return encoder
    }()

    /// The names of the types ParleyService's sources declare (or extend) as `Encodable`, `Codable`
    /// or ``JSONObjectWritable``.
    private static func encodableTypesInSources() throws -> Set<String> {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Sources/ParleyService").standardized
        let declaration = try Regex(#"\b(?:struct|enum|class|extension)\s+(\w+)(?:<[^>{]*>)?\s*:([^{]*)\{"#)
        var names: Set<String> = []
        for case let file as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        where file.pathExtension == "swift" {
            for match in try String(contentsOf: file, encoding: .utf8).matches(of: declaration) {
                let conformances = match.output[2].substring?.split(separator: "where").first ?? ""
                if conformances.contains(/\b(Encodable|Codable|JSONObjectWritable)\b/) {
                    names.insert(String(match.output[1].substring!))
                }
            }
        }
        return names
    }

    private static let text = "Zoë \"quoted\" back\\slash /path\n\ttab \u{1} 张三 😀 \u{2028}"
    private static let date = Date(timeIntervalSince1970: 1_764_000_000.123)
    private static let user = User(
        id: 7, username: "bob", nickname: text, avatar: "/a/b.png", sex: "男", sign: "", area: "上海",
        email: "bob@example.com", phone: "13800000000", status: 1, createdAt: date, updatedAt: date.addingTimeInterval(1)
    )
    private static let message = Message(
        id: 11, fromID: 7, fromName: "bob", fromAvatar: "", toID: 8, toName: text, toAvatar: "/x.png", chatType: .user,
        type: .text, data: text, options: .object(["b": .array([.null, .bool(true), .integer(-3), .number(0.25)]), "a": .string(text)]),
        createTime: 1_764_000_000_123
    )
    private static let notice = MessageNotice(fromID: 7, toID: 8, chatType: .user, id: 11)
    private static let friend = FriendListItem(id: 8, name: text, username: "ann", avatar: "", star: 1, isblack: 0)
    private static let apply = Apply(
        id: 3, userID: 7, friendID: 8, nickname: text, lookme: 1, lookhim: 0, status: .pending, createdAt: date, updatedAt: date
    )
    private static let summary = UserSummary(id: 7, username: "bob", nickname: "", avatar: "/a.png")
    private static let card = NodeCard(
        id: "node-1", address: "10.0.0.1:8080", version: "1.2.3", startedAt: date, lastSeen: date, connections: 12, draining: false
    )
    private static let session = SessionRecord(createdAt: date, expiresAt: date, revokedAt: date, revokedReason: "login", active: false)
    private static let presence = AdminController.PresenceAnswer(AccountChannel.Presence(node: "node-1", since: date))
    private static let event = ClusterEvent(id: "1-0", at: date, kind: .userKicked, node: "node-1", userID: 7, address: "10.0.0.9", detail: text)
    private static let sample = Sample(
        t: 1_764_000_000_000, sockets: 5, accountsOnline: 4, connects: .init(accepted: 1.5, refused: ["rate": 0.1, "draining": 0]),
        kicks: 0, messages: 1e-7, http: ["2xx": .init(requests: 12.25, p99Milliseconds: 3.5), "5xx": .init(requests: 0, p99Milliseconds: nil)],
        kickP99Milliseconds: nil, heartbeatLagMilliseconds: 0.333, postgresInUse: 1, postgresWaiting: 0, redisErrors: 0,
        rssBytes: 123_456_789, cpu: 0.05
    )

    /// One value or more of every type in the sources that `encodableTypesInSources()` finds: the
    /// answers, the frames' payloads, and what is kept in Redis (``NodeCard``, ``Sample``, ``UserEvent``).
    static let specimens: [any Encodable & Sendable] = [
        // Envelopes and accounts
        SuccessBody(data: text), FailureBody(data: "参数错误", code: "bad_request"),
        Profile(user), Me(user: user, token: "a.b.c"), SessionRenewal.Renewed(token: "a.b.c", expiresAt: date),
        session, SessionRecord(createdAt: date, expiresAt: date, revokedAt: nil, revokedReason: nil, active: true),
        JSONValue.object(["z": .object([:]), "a": .array([]), "m": .string(text)]), Nullable<Int>(wrappedValue: nil),
        ServiceController.About(version: "1.2.3", node: "node-1"),
        // Chat
        message, message.recalled, notice, ChatType.user, MessageType.system, HistoryPage(rows: [message], more: true),
        InboxEntry(seq: 1, event: .message(message)), InboxEntry(seq: 2, event: .recall(notice)), InboxEntry(seq: 3, event: .read(notice)),
        InboxPage(entries: [InboxEntry(seq: 1, event: .read(notice))], lastSeq: 1, more: false),
        Conversation(peer: ConversationPeer(id: 8, username: "ann", name: text, avatar: ""), readSeq: 2, peerReadID: 11, unread: 1, lastMessage: message),
        ConversationPeer(id: 8, username: "ann", name: text, avatar: ""),
        ReadOutcome(toID: 8, seq: 3, unread: 0, notice: notice),
        // Contacts
        friend, ContactGroup(title: "Z", list: [friend]), FriendList([friend, FriendListItem(id: 9, name: "1", username: "c", avatar: "", star: 0, isblack: 1)]),
        FriendList.Rows(newList: [], indexList: [], total: 0),
        FriendProfile(user: user, friendship: Friendship(remark: text, lookme: 1, lookhim: 1, star: 0, isblack: 0, tags: ["家人", text])),
        FriendProfile(user: user, friendship: nil), Tag(id: 1, name: text), TagMembers(tag: Tag(id: 1, name: "x"), friends: [friend]),
        apply, ApplyStatus.refuse, summary, ReceivedApply(apply: apply, user: summary), ApplyPage(rows: [ReceivedApply(apply: apply, user: summary)], count: 1),
        Report(id: 1, userID: 7, reportedID: 8, reportedType: .user, content: text, category: "spam", status: "pending", createdAt: date, updatedAt: date),
        ReportedType.group,
        // Operations
        AdminController.Account(user), AdminController.SearchAnswer(users: [AdminController.Account(user)]),
        AdminController.AccountAnswer(user: AdminController.Account(user), presence: presence, sessions: [session]),
        presence, AdminController.PresenceAnswer(nil), AdminController.Cluster(nodes: [card], online: 12),
        AdminController.EventsAnswer(events: [event, ClusterEvent(at: date, kind: .redisDown, node: "node-2")]), event, ClusterEvent.Kind.nodeLeft,
        AdminController.SeriesAnswer(interval: 10, window: 3600, nodes: [.init(id: "node-1", samples: [sample])], cluster: [sample]),
        AdminController.SeriesAnswer.Node(id: "node-1", samples: []), sample, sample.connects, sample.http["2xx"]!,
        // Redis
        card, UserEvent.push(.chatMessage(json: try! message.jsonText())), UserEvent(type: .deliver), UserEvent.Kind.push,
    ]
}
