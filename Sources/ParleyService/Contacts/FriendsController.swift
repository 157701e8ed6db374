import Hummingbird

/// `GET /friend/list`, `GET /friend/read/:id`, `POST /friend/set…/:id` and `GET /tag/list`
/// (API.md §4, Friends), `POST /friend/destroy` and `GET /tag/read/:id` (docs/api.md §4). The `:id`
/// of `/friend/…` is the friend's user id.
struct FriendsController: Sendable {
    let friends: FriendStore
    let tags: TagStore
    let users: UserStore
    let listCache: ContactListCache

    init(friends: FriendStore, tags: TagStore, users: UserStore, listCache: ContactListCache = ContactListCache()) {
        self.friends = friends
        self.tags = tags
        self.users = users
        self.listCache = listCache
    }

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group("friend")
            .add(middleware: authentication)
            .get("list", use: list)
            .get("read/:id", use: read)
            .post("setblack/:id", use: setBlack)
            .post("setstar/:id", use: setStar)
            .post("setmomentauth/:id", use: setMomentAuth)
            .post("setremarktag/:id", use: setRemarkTag)
            .post("destroy", use: destroy)
        router.group("tag")
            .add(middleware: authentication)
            .get("list", use: tagList)
            .get("read/:id", use: tagRead)
    }

    /// Answered from ``listCache`` while the list's version is the one it was kept at: clients ask
    /// for the list on every visit to the contacts screen, and it changes far less often.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let me = try context.requireIdentity().userID
        // The version first: the list read after it is at least as new, never older.
        let version = try await friends.listVersion(ownerID: me)
        if let body = listCache.body(for: me, version: version) {
            return JSONWriter.response(body)
        }
        let body = try Envelope(FriendList(try await friends.list(ownerID: me))).encodedBody()
        listCache.store(body, for: me, version: version)
        return JSONWriter.response(body)
    }

    @Sendable func read(_ request: Request, context: AppRequestContext) async throws -> Envelope<FriendProfile> {
        let me = try context.requireIdentity().userID
        let friendID = try context.integerParameter(ContactFields.friendPathID, minimum: 1)
        guard let user = try await users.user(id: friendID), user.isEnabled else {
            throw ParleyError(.userNotFound)
        }
        let friendship = try await friends.friendship(ownerID: me, friendID: friendID)
        return Envelope(FriendProfile(user: user, friendship: friendship))
    }

    @Sendable func setBlack(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        try await changeFriend(request, context) { me, friendID, fields in
            try await friends.setBlack(ownerID: me, friendID: friendID, isblack: fields.flag(ContactFields.isblack))
        }
    }

    @Sendable func setStar(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        try await changeFriend(request, context) { me, friendID, fields in
            try await friends.setStar(ownerID: me, friendID: friendID, star: fields.flag(ContactFields.star))
        }
    }

    @Sendable func setMomentAuth(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        try await changeFriend(request, context) { me, friendID, fields in
            let lookme = try fields.flag(ContactFields.lookme)
            let lookhim = try fields.flag(ContactFields.lookhim)
            return try await friends.setMomentAuth(ownerID: me, friendID: friendID, lookme: lookme, lookhim: lookhim)
        }
    }

    @Sendable func setRemarkTag(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        try await changeFriend(request, context) { me, friendID, fields in
            let remark = try fields.remark()
            let tagNames = try fields.tagNames()
            return try await friends.setRemarkAndTags(ownerID: me, friendID: friendID, remark: remark, tags: tagNames)
        }
    }

    @Sendable func tagList(_ request: Request, context: AppRequestContext) async throws -> Envelope<[Tag]> {
        let me = try context.requireIdentity().userID
        return Envelope(try await tags.tags(of: me))
    }

    @Sendable func destroy(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let me = try context.requireIdentity().userID
        let friendID = try await RequestFields.parse(request).int(ContactFields.friendID)
        guard try await friends.destroy(ownerID: me, friendID: friendID) else { throw ParleyError(.notFound) }
        return Envelope(.ok, for: context)
    }

    @Sendable func tagRead(_ request: Request, context: AppRequestContext) async throws -> Envelope<TagMembers> {
        let me = try context.requireIdentity().userID
        let tagID = try context.integerParameter(ContactFields.tagPathID, minimum: 1)
        guard let tag = try await tags.tag(id: tagID, ownerID: me) else { throw ParleyError(.notFound) }
        return Envelope(TagMembers(tag: tag, friends: try await friends.list(ownerID: me, taggedWith: tag.id)))
    }

    /// What every `POST /friend/set…/:id` does: reads who asks, the friend (`:id`) and the body,
    /// lets `change` validate and write, and answers `"ok"`, or 404 when `change` found no row to
    /// change.
    private func changeFriend(
        _ request: Request,
        _ context: AppRequestContext,
        _ change: (_ me: Int, _ friendID: Int, _ fields: RequestFields) async throws -> Bool
    ) async throws -> Envelope<String> {
        let me = try context.requireIdentity().userID
        let friendID = try context.integerParameter(ContactFields.friendPathID, minimum: 1)
        let fields = try await RequestFields.parse(request)
        guard try await change(me, friendID, fields) else { throw ParleyError(.notFound) }
        return Envelope(.ok, for: context)
    }
}
