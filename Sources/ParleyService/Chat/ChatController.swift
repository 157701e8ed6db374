import Hummingbird

/// `POST /chat/send`, `/chat/getmessage` and `/chat/recall` (API.md §4, Chat); `GET /chat/sync`,
/// `/chat/history/:friend_id`, `/chat/conversations` and `POST /chat/read` (docs/api.md §7).
///
/// Every message is stored before anything is pushed; the push only nudges the node holding the
/// recipient's socket, which takes the frames from PostgreSQL (``MessageCourier``).
struct ChatController: Sendable {
    let messages: MessageStore
    let inbox: InboxStore
    let accounts: AccountChannel

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group("chat")
            .add(middleware: authentication)
            .post("send", use: send)
            .post("getmessage", use: getMessages)
            .post("recall", use: recall)
            .get("sync", use: sync)
            .get("history/:friend_id", use: history)
            .get("conversations", use: conversations)
            .post("read", use: read)
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Envelope<Message> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let recipient = try fields.int(ChatFields.toID)
        let chatType = try fields.choice(ChatFields.chatType, in: ChatType.allCases)
        let type = try fields.choice(ChatFields.type, in: MessageType.sendable)
        let data = try fields.string(ChatFields.data, length: ChatFields.dataLength)
        let options = try fields.messageOptions()
        let message = try await messages.send(from: me, to: recipient, chatType: chatType, type: type, data: data, options: options)
        NodeMetrics.messageStored()
        await nudge(recipient, context: context)
        return Envelope(message)
    }

    /// Answers how many frames wait, and has them sent to my socket, wherever it is.
    @Sendable func getMessages(_ request: Request, context: AppRequestContext) async throws -> Envelope<Int> {
        let me = try context.requireIdentity().userID
        let count = try await inbox.pendingCount(for: me)
        if count > 0 {
            do {
                try await accounts.requestDelivery(to: me)
            } catch {
                NodeMetrics.redisError("deliver")
                context.logger.warning("Cannot ask for delivery", metadata: ["user.id": "\(me)", "error": "\(error)"])
            }
        }
        return Envelope(count)
    }

    @Sendable func recall(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageNotice> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let recipient = try fields.int(ChatFields.toID)
        let chatType = try fields.choice(ChatFields.chatType, in: ChatType.allCases)
        let messageID = try fields.int(ChatFields.messageID)
        let notice = try await messages.recall(messageID: messageID, by: me, to: recipient, chatType: chatType)
        await nudge(recipient, context: context)
        return Envelope(notice)
    }

    /// My inbox after `after`, in order.
    @Sendable func sync(_ request: Request, context: AppRequestContext) async throws -> Envelope<InboxPage> {
        let me = try context.requireIdentity().userID
        let after = try request.integerQuery(ChatFields.after, in: 0...Int.max, default: 0)
        let limit = try request.integerQuery(ChatFields.limit, in: ChatFields.syncLimits, default: ChatFields.defaultSyncLimit)
        let (entries, lastSeq) = try await inbox.entries(of: me, after: after, limit: limit)
        let more = entries.count == limit && (entries.last?.seq ?? lastSeq) < lastSeq
        return Envelope(InboxPage(entries: entries, lastSeq: lastSeq, more: more))
    }

    /// My conversation with `:friend_id`, newest first, a page at a time.
    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Envelope<HistoryPage> {
        let me = try context.requireIdentity().userID
        let peer = try context.integerParameter(ChatFields.friendPathID, minimum: 1)
        let before = try request.integerQuery(ChatFields.before, in: 1...Int.max, default: Int.max)
        let limit = try request.integerQuery(ChatFields.limit, in: ChatFields.historyLimits, default: ChatFields.defaultHistoryLimit)
        let (rows, more) = try await messages.history(of: me, with: peer, before: before, limit: limit)
        return Envelope(HistoryPage(rows: rows, more: more))
    }

    @Sendable func conversations(_ request: Request, context: AppRequestContext) async throws -> Envelope<[Conversation]> {
        let me = try context.requireIdentity().userID
        let limit = try request.integerQuery(ChatFields.limit, in: ChatFields.conversationLimits, default: ChatFields.defaultConversationLimit)
        return Envelope(try await messages.conversations(of: me, limit: limit))
    }

    /// Marks my conversation with `to_id` read up to `seq`; the peer learns it (a `read` frame).
    @Sendable func read(_ request: Request, context: AppRequestContext) async throws -> Envelope<ReadOutcome> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let peer = try fields.int(ChatFields.toID)
        let seq = try fields.int(ChatFields.seq)
        guard seq >= 0 else { throw ParleyError.validation(.outOfRange(ChatFields.seq, value: String(seq), min: 0, max: nil)) }
        guard let outcome = try await messages.markRead(by: me, with: peer, upTo: seq) else { throw ParleyError(.notFound) }
        if outcome.notice != nil { await nudge(peer, context: context) }
        return Envelope(outcome)
    }

    /// The frames are stored either way: a lost nudge only delays them to the next `getmessage`.
    private func nudge(_ userID: Int, context: AppRequestContext) async {
        do {
            try await accounts.notifyDeliveries(to: userID)
        } catch {
            NodeMetrics.redisError("deliver")
            context.logger.warning("Cannot nudge the recipient's node", metadata: ["user.id": "\(userID)", "error": "\(error)"])
        }
    }
}
