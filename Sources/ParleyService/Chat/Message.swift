import Foundation

/// A chat message as the client receives it (API.md §4, Chat).
public struct Message: Encodable, Sendable, Equatable {
    public let id: Int
    public let fromID: Int
    public let fromName: String
    public let fromAvatar: String
    public let toID: Int
    public let toName: String
    public let toAvatar: String
    public let chatType: String
    public let type: String
    public let data: String
    public let options: JSONValue
    /// Milliseconds since 1970.
    public let createTime: Int64
    public let isremove = 0

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

/// What the recipient learns of a recalled message.
public struct RecallNotice: Encodable, Sendable, Equatable {
    public let fromID: Int
    public let toID: Int
    public let chatType: String
    public let id: Int

    enum CodingKeys: String, CodingKey {
        case id
        case fromID = "from_id"
        case toID = "to_id"
        case chatType = "chat_type"
    }
}

extension Encodable {
    /// This value as compact JSON text, for a socket frame.
    func jsonText() throws -> String {
        String(decoding: try JSONWriter.encode(self), as: UTF8.self)
    }
}
