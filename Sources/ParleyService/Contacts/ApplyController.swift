import Hummingbird

/// `POST /apply/addfriend`, `GET /apply/:page` and `POST /apply/handle/:id` (API.md §4, Friend
/// requests).
struct ApplyController: Sendable {
    let applies: ApplyStore
    let friends: FriendStore
    let users: UserStore
    let accounts: AccountChannel
    let messages: MessageStore

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group("apply")
            .add(middleware: authentication)
            .post("addfriend", use: addFriend)
            .get(":page", use: received)
            .post("handle/:id", use: handle)
    }

    @Sendable func addFriend(_ request: Request, context: AppRequestContext) async throws -> Envelope<Apply> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let friendID = try fields.int(ContactFields.friendID)
        let nickname = try fields.remark() ?? ""
        let lookme = try fields.flag(ContactFields.lookme)
        let lookhim = try fields.flag(ContactFields.lookhim)
        guard friendID != me else { throw ParleyError(.cannotAddSelf) }
        guard let target = try await users.user(id: friendID), target.isEnabled else {
            throw ParleyError(.applyTargetNotFound)
        }
        guard try await !friends.isFriend(ownerID: me, friendID: friendID) else {
            throw ParleyError(.alreadyFriends)
        }
        guard let apply = try await applies.create(
            userID: me, friendID: friendID, nickname: nickname, lookme: lookme, lookhim: lookhim
        ) else {
            throw ParleyError(.applyExists)
        }
        context.logger.info("Friend request sent", metadata: ["user.id": "\(me)", "apply.id": "\(apply.id)"])
        await notifyApplyListChanged(of: friendID, context: context)
        return Envelope(apply)
    }

    /// Tells the target's live socket, on whatever node holds it, to refresh its apply list. The
    /// apply is stored either way: without Redis the client sees it at its next refresh.
    private func notifyApplyListChanged(of userID: Int, context: AppRequestContext) async {
        do {
            try await accounts.push(.updateApplyList, to: userID)
        } catch {
            NodeMetrics.redisError("push")
            context.logger.warning("Cannot push updateApplyList", metadata: ["user.id": "\(userID)", "error": "\(error)"])
        }
    }

    @Sendable func received(_ request: Request, context: AppRequestContext) async throws -> Envelope<ApplyPage> {
        let me = try context.requireIdentity().userID
        let page = try context.integerParameter(ContactFields.page, minimum: 1)
        let limit = try request.integerQuery(
            ContactFields.limit, in: ContactFields.pageLimits, default: ContactFields.defaultPageLimit
        )
        // A page far beyond the end is simply empty; the offset saturates instead of overflowing.
        let offset = (page - 1).multipliedReportingOverflow(by: limit)
        async let rows = applies.received(by: me, limit: limit, offset: offset.overflow ? Int.max : offset.partialValue)
        async let count = applies.pendingCount(for: me)
        return try await Envelope(ApplyPage(rows: rows, count: count))
    }

    @Sendable func handle(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let me = try context.requireIdentity().userID
        let applyID = try context.integerParameter(ContactFields.applyPathID, minimum: 1)
        let fields = try await RequestFields.parse(request)
        let answer = try fields.choice(ContactFields.status, in: ApplyStatus.answers)
        let nickname = try fields.remark() ?? ""
        let lookme = try fields.flag(ContactFields.lookme)
        let lookhim = try fields.flag(ContactFields.lookhim)
        if answer == .agree {
            let settings = FriendSettings(nickname: nickname, lookme: lookme, lookhim: lookhim)
            guard let applicant = try await applies.agree(applyID: applyID, addresseeID: me, mine: settings) else {
                throw ParleyError(.notFound)
            }
            await greet(me, applicant, context: context)
        } else {
            guard try await applies.settle(applyID: applyID, addresseeID: me, as: answer) else {
                throw ParleyError(.notFound)
            }
        }
        context.logger.info("Friend request answered", metadata: ["user.id": "\(me)", "apply.id": "\(applyID)", "apply.status": "\(answer.rawValue)"])
        return Envelope(.done, for: context)
    }

    /// The text both new friends receive as a `system` message.
    static let greeting = "你们已经是好友，可以开始聊天啦"

    /// Sends both new friends the greeting. The friendship stands even if this fails (it is
    /// logged): the greeting is a courtesy, not part of the agreement.
    private func greet(_ me: Int, _ applicant: Int, context: AppRequestContext) async {
        for (from, to) in [(me, applicant), (applicant, me)] {
            do {
                _ = try await messages.send(from: from, to: to, chatType: .user, type: .system, data: Self.greeting, options: .object([:]))
                try await accounts.notifyDeliveries(to: to)
            } catch {
                context.logger.warning("Cannot send the friendship greeting", metadata: ["user.id": "\(to)", "error": "\(error)"])
            }
        }
    }
}

extension ApplyStatus {
    /// What the person asked may answer, in the order the validation text lists them.
    static let answers: [ApplyStatus] = [.refuse, .agree, .ignore]
}
