/// The input fields of the chat routes, with the names their validation texts use.
enum ChatFields {
    static let toID = Field("to_id", chinese: "接收人ID", english: "recipient id")
    static let chatType = Field("chat_type", chinese: "聊天类型", english: "chat type")
    static let type = Field("type", chinese: "消息类型", english: "message type")
    static let data = Field("data", chinese: "消息内容", english: "message content")
    static let options = Field("options", chinese: "消息选项", english: "message options")
    static let messageID = Field("id", chinese: "消息ID", english: "message id")
    /// The `:friend_id` of `/chat/history/:friend_id`.
    static let friendPathID = Field("friend_id", chinese: "好友ID", english: "friend id")
    static let seq = Field("seq", chinese: "消息序号", english: "sequence number")
    static let after = Field("after", chinese: "起始序号", english: "after")
    static let before = Field("before", chinese: "消息ID", english: "before")
    static let limit = Field("limit", chinese: "每页条数", english: "limit")

    static let dataLength = 1...4000
    /// The most JSON text `options` may hold, in bytes.
    static let maximumOptionsSize = 4096
    static let syncLimits = 1...500
    static let defaultSyncLimit = 100
    static let historyLimits = 1...100
    static let defaultHistoryLimit = 20
    static let conversationLimits = 1...200
    static let defaultConversationLimit = 50
}

extension RequestFields {
    /// `options`: a JSON object, or a JSON-encoded string holding one; `{}` when absent. At most
    /// ``ChatFields/maximumOptionsSize`` bytes once encoded, like `data` is bounded: it is stored
    /// with every message and pushed with it.
    func messageOptions() throws -> JSONValue {
        let field = ChatFields.options
        let options: JSONValue
        switch try value(field) {
        case .none, .null, .string(""):
            return .object([:])
        case .object(let members):
            options = .object(members)
        case .string(let text):
            guard let parsed = try? JSONParser.parse(text.utf8), case .object = parsed else {
                throw ParleyError.validation(.wrongType(field, value: text, type: "object"))
            }
            try parsed.requireNoNUL(field)
            options = parsed
        case .some(let other):
            throw ParleyError.validation(.wrongType(field, value: other.displayText, type: "object"))
        }
        guard try JSONWriter.encode(options).count <= ChatFields.maximumOptionsSize else {
            throw ParleyError.validation(.length(field, min: 0, max: ChatFields.maximumOptionsSize))
        }
        return options
    }
}
