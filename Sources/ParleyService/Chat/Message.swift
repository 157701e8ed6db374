import Foundation

/// A chat message as the client receives it (API.md §4, Chat).
struct Message: Encodable, Sendable, Equatable {
    let id: Int
    let fromID: Int
    let fromName: String
    let fromAvatar: String
    let toID: Int
    let toName: String
    let toAvatar: String
    let chatType: ChatType
    let type: MessageType
    var data: String
    var options: JSONValue
    /// Milliseconds since 1970.
    let createTime: Int64
    /// 1 once the sender recalled it.
    var isremove = 0

    enum CodingKeys: String, CodingKey {
        case id, type, data, options, isremove
        case fromID = "from_id"
        case fromName = "from_name"
        case fromAvatar = "from_avatar"
        case toID = "to_id"
        case toName = "to_name"
        case toAvatar = "to_avatar"
        case chatType = "chat_type"
        case createTime = "create_time"
    }
}

extension Message {
    /// The message as history shows it once recalled: marked, its content gone.
    var recalled: Message {
        var message = self
        message.data = ""
        message.options = .object([:])
        message.isremove = 1
        return message
    }
}

/// Names one message of a conversation: the data of a `recall` frame (`from_id` sent message `id`
/// to `to_id`, then recalled it) and of a `read` frame (`from_id` read `to_id`'s messages up to `id`).
struct MessageNotice: Encodable, Sendable, Equatable {
    let fromID: Int
    let toID: Int
    let chatType: ChatType
    let id: Int

    enum CodingKeys: String, CodingKey {
        case id
        case fromID = "from_id"
        case toID = "to_id"
        case chatType = "chat_type"
    }
}

extension Message {
    /// A message's columns as the chat queries select them (table alias `m`), in the order
    /// ``init(reading:)`` reads them.
    static let columns = """
        m.id, m.from_id, m.from_name, m.from_avatar, m.to_id, m.to_name, m.to_avatar, m.chat_type, m.type, \
        m.data, m.options::text, m.created_at, m.recalled_at IS NOT NULL
        """

    /// Reads ``columns``; a recalled message comes ``recalled``.
    init(reading columns: inout ColumnReader) throws {
        // Arguments are evaluated in order, which is the columns' order.
        self.init(
            id: try columns.next(), fromID: try columns.next(), fromName: try columns.next(),
            fromAvatar: try columns.next(), toID: try columns.next(), toName: try columns.next(),
            toAvatar: try columns.next(), chatType: try columns.next(), type: try columns.next(),
            data: try columns.next(), options: try Self.options(columns.next()),
            createTime: Int64((try columns.next(Date.self)).timeIntervalSince1970 * 1000)
        )
        if try columns.next(Bool.self) { self = recalled }
    }

    /// Stored options are a JSON object (a table constraint); anything else would be a bug, shown as `{}`.
    private static func options(_ text: String) -> JSONValue {
        (try? JSONParser.parse(text.utf8)) ?? .object([:])
    }
}

/// The answer of `GET /chat/history/:friend_id`.
struct HistoryPage: Encodable, Sendable, Equatable {
    /// Newest first.
    let rows: [Message]
    /// Older messages remain: ask again with `before` set to the last row's id.
    let more: Bool
}
