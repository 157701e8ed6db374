/// One entry of an account's inbox (docs/api.md §7): what a socket is pushed and `/chat/sync` returns.
struct InboxEntry: Sendable, Equatable {
    enum Event: Sendable, Equatable {
        /// A message to the account; a recalled one comes marked, without its content.
        case message(Message)
        /// The sender recalled a message to the account.
        case recall(MessageNotice)
        /// The peer read the account's messages up to the notice's id.
        case read(MessageNotice)
    }

    /// The entry's number: 1, 2, 3… per account, in commit order, with no gaps.
    let seq: Int
    let event: Event

    /// The entry as a socket receives it. One that acknowledges gets every entry, numbered, as
    /// `/chat/sync` lists them, so a gap in its numbers always means a loss. One that does not gets
    /// the frames API.md §5 knows: no `read` frames (the old client would show one as a chat
    /// message) and no recalled message (the recall that follows says enough).
    func frame(numbered: Bool) throws -> ServerFrame? {
        if numbered { return .numbered(json: try jsonText()) }
        switch event {
        case .message(let message):
            return message.isremove == 0 ? .chatMessage(json: try message.jsonText()) : nil
        case .recall(let notice):
            return .recall(json: try notice.jsonText())
        case .read:
            return nil
        }
    }
}

/// As `/chat/sync` lists it and an acknowledging socket receives it: `{"seq":N,"msg":…,"data":…}`.
extension InboxEntry: Encodable {
    enum CodingKeys: String, CodingKey {
        case seq, msg, data
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        switch event {
        case .message(let message):
            try container.encode("ok", forKey: .msg)
            try container.encode(message, forKey: .data)
        case .recall(let notice):
            try container.encode("recall", forKey: .msg)
            try container.encode(notice, forKey: .data)
        case .read(let notice):
            try container.encode("read", forKey: .msg)
            try container.encode(notice, forKey: .data)
        }
    }
}

/// The answer of `GET /chat/sync`.
struct InboxPage: Encodable, Sendable, Equatable {
    let entries: [InboxEntry]
    /// The inbox's last number: the client is up to date once it has it.
    let lastSeq: Int
    /// Entries past the last one listed remain.
    let more: Bool

    enum CodingKeys: String, CodingKey {
        case entries, more
        case lastSeq = "last_seq"
    }
}
