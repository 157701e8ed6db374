/// One row of `GET /chat/conversations` (docs/api.md §7).
struct Conversation: Encodable, Sendable, Equatable {
    let peer: ConversationPeer
    /// How far I have read the peer's messages: a number of my inbox.
    let readSeq: Int
    /// The newest of my messages the peer has read (0: none).
    let peerReadID: Int
    /// The peer's messages past ``readSeq``, recalled ones not counted.
    let unread: Int
    let lastMessage: Message

    enum CodingKeys: String, CodingKey {
        case peer, unread
        case readSeq = "read_seq"
        case peerReadID = "peer_read_id"
        case lastMessage = "last_message"
    }
}

/// Who a conversation is with, named as the contact list names them: my remark, else their
/// nickname, else their username.
struct ConversationPeer: Encodable, Sendable, Equatable {
    let id: Int
    let username: String
    let name: String
    let avatar: String
}

/// The answer of `POST /chat/read`, and the `read` entry it gave the peer, if any.
struct ReadOutcome: Encodable, Sendable, Equatable {
    let toID: Int
    /// How far the conversation is now read: a number of my inbox.
    let seq: Int
    let unread: Int
    /// Tells the peer, when the read reached a message not read before.
    var notice: MessageNotice?

    enum CodingKeys: String, CodingKey {
        case seq, unread
        case toID = "to_id"
    }
}
