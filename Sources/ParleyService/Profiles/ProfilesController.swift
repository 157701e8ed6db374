import Hummingbird

/// `POST /user/update` (docs/api.md §3).
struct ProfilesController: Sendable {
    let users: UserStore
    let media: MediaStore

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group("user")
            .add(middleware: authentication)
            .post("update", use: update)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Envelope<Profile> {
        let me = try context.requireIdentity().userID
        let changes = try await RequestFields.parse(request).profileChanges()
        if let avatar = changes.avatar, !avatar.isEmpty {
            try await requireUploadedImage(avatar)
        }
        guard let user = try await users.updateProfile(userID: me, changes) else { throw ParleyError(.userDisabled) }
        return Envelope(Profile(user))
    }

    /// An avatar must be a URL `POST /upload` answered for an image: anything else would let a
    /// profile show a picture from anywhere to every friend.
    private func requireUploadedImage(_ avatar: String) async throws {
        guard let hash = MediaURL.hash(in: avatar), try await media.record(hash: hash)?.kind == .image else {
            throw ParleyError.validation(.notUploadedImage(ProfileFields.avatar, value: avatar))
        }
    }
}
