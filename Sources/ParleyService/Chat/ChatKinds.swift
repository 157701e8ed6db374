/// `chat_type`: one-to-one only. Group chat comes later: until then `group` is refused like any
/// unknown kind (API.md §4).
enum ChatType: String, Sendable, Encodable, CaseIterable {
    case user
}

/// A message's `type`. A client sends any but `system`, which the server writes (the greeting of a
/// new friendship).
enum MessageType: String, Sendable, Encodable, CaseIterable {
    case text, image, video, audio, emoticon, card, system

    /// What `POST /chat/send` accepts, in the order its validation text lists them.
    static let sendable: [MessageType] = [.text, .image, .video, .audio, .emoticon, .card]
}
