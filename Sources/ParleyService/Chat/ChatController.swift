import Hummingbird

/// `POST /chat/send`, `/chat/getmessage` and `/chat/recall` (API.md §4, Chat).
///
/// Every message is stored before anything is pushed; the push only nudges the node holding the
/// recipient's socket, which takes the frames from PostgreSQL (``MessageCourier``).
public struct ChatController: Sendable {
    let messages: MessageStore
    let accounts: AccountChannel

    public init(messages: MessageStore, accounts: AccountChannel) {
        self.messages = messages
        self.accounts = accounts
    }

    public func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group("chat")
            .add(middleware: authentication)
            .post("send", use: send)
            .post("getmessage", use: getMessages)
            .post("recall", use: recall)
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Envelope<Message> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let recipient = try fields.int(ChatFields.toID)
        let chatType = try fields.choice(ChatFields.chatType, in: ChatFields.chatTypes)
        let type = try fields.choice(ChatFields.type, in: ChatFields.messageTypes)
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
        let count = try await messages.pendingCount(for: me)
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

    @Sendable func recall(_ request: Request, context: AppRequestContext) async throws -> Envelope<RecallNotice> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let recipient = try fields.int(ChatFields.toID)
        let chatType = try fields.choice(ChatFields.chatType, in: ChatFields.chatTypes)
        let messageID = try fields.int(ChatFields.messageID)
        let notice = try await messages.recall(messageID: messageID, by: me, to: recipient, chatType: chatType)
        await nudge(recipient, context: context)
        return Envelope(notice)
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
