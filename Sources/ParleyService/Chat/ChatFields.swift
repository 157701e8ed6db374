/// The input fields of the chat routes, with the names their validation texts use.
enum ChatFields {
    static let toID = Field("to_id", chinese: "接收人ID", english: "recipient id")
    static let chatType = Field("chat_type", chinese: "聊天类型", english: "chat type")
    static let type = Field("type", chinese: "消息类型", english: "message type")
    static let data = Field("data", chinese: "消息内容", english: "message content")
    static let options = Field("options", chinese: "消息选项", english: "message options")
    static let messageID = Field("id", chinese: "消息ID", english: "message id")

    /// Group chat comes later: until then `group` is refused like any unknown kind.
    static let chatTypes = ["user"]
    static let messageTypes = ["text", "image", "video", "audio", "emoticon", "card"]
    static let dataLength = 1...4000
}

extension RequestFields {
    /// `options`: a JSON object, or a JSON-encoded string holding one; `{}` when absent.
    func messageOptions() throws -> JSONValue {
        let field = ChatFields.options
        switch try value(field) {
        case .none, .null, .string(""):
            return .object([:])
        case .object(let members):
            return .object(members)
        case .string(let text):
            if let parsed = try? JSONParser.parse(text.utf8), case .object = parsed {
                try parsed.requireNoNUL(field)
                return parsed
            }
            throw ParleyError.validation(.wrongType(field, value: text, type: "object"))
        case .some(let other):
            throw ParleyError.validation(.wrongType(field, value: other.displayText, type: "object"))
        }
    }
}
