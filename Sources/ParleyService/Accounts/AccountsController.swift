import Hummingbird
import NIOCore

/// `POST /reg`, `/login`, `/logout` and `/search/user` (API.md §4, Accounts), and
/// `POST /token/refresh` (docs/api.md §2).
struct AccountsController: Sendable {
    let users: UserStore
    let sessions: SessionStore
    let authenticator: Authenticator
    let tokens: TokenAuthority
    let passwords: PasswordHasher
    let accounts: AccountChannel
    let renewal: SessionRenewal
    let throttle: LoginThrottle
    let registrations: AddressRateLimiter
    let trustedProxies: TrustedProxies

    init(
        users: UserStore,
        sessions: SessionStore,
        authenticator: Authenticator,
        tokens: TokenAuthority,
        passwords: PasswordHasher,
        accounts: AccountChannel,
        renewal: SessionRenewal,
        throttle: LoginThrottle,
        registrations: AddressRateLimiter,
        trustedProxies: TrustedProxies
    ) {
        self.users = users
        self.sessions = sessions
        self.authenticator = authenticator
        self.tokens = tokens
        self.passwords = passwords
        self.accounts = accounts
        self.renewal = renewal
        self.throttle = throttle
        self.registrations = registrations
        self.trustedProxies = trustedProxies
    }

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.post("reg", use: register)
        router.post("login", use: login)
        router.group()
            .add(middleware: authentication)
            .post("logout", use: logout)
            .post("search/user", use: searchUser)
            .post("token/refresh", use: refreshToken)
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Envelope<Profile> {
        guard registrations.allow(context.clientAddress(of: request, trustedProxies: trustedProxies)) else {
            throw ParleyError(.rateLimited)
        }
        let fields = try await RequestFields.parse(request)
        let username = try fields.username()
        let password = try fields.newPassword()
        let repassword = try fields.string(AccountFields.repassword, length: 0...Int.max)
        guard password == repassword else {
            throw ParleyError.validation(.notEqual(AccountFields.password, AccountFields.repassword))
        }
        let hash = try await passwords.hash(password)
        guard let user = try await users.create(username: username, passwordHash: hash) else {
            throw ParleyError(.usernameTaken)
        }
        context.logger.info("Registered", metadata: ["user.id": "\(user.id)"])
        return Envelope(Profile(user))
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Envelope<Me> {
        let fields = try await RequestFields.parse(request)
        // Lengths first: no name longer than any account's costs a Redis key or a query.
        let username = try fields.string(AccountFields.username, length: AccountFields.usernameLength)
            .precomposedStringWithCanonicalMapping
        let password = try fields.string(AccountFields.password, length: 0...Int.max)
        guard await throttle.admit(username) else { throw ParleyError(.rateLimited) }
        guard let (user, hash) = try await users.credentials(username: username), user.isEnabled else {
            throw ParleyError(.loginFailed)
        }
        guard try await passwords.verify(password, hash: hash) else {
            throw ParleyError(.wrongPassword)
        }
        await throttle.recordSuccess(username)
        let (session, superseded) = try await sessions.start(userID: user.id, lifetime: tokens.lifetime)
        authenticator.sessionsRevoked(userID: user.id)
        await closeSockets(of: user.id, reason: .kicked, context: context)
        context.logger.info(
            "Signed in",
            metadata: ["user.id": "\(user.id)", "session.superseded": "\(superseded.count)"]
        )
        return Envelope(Me(user: user, token: try await tokens.sign(userID: user.id, sessionID: session)))
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let identity = try context.requireIdentity()
        try await sessions.revoke(sessionID: identity.sessionID, reason: .loggedOut)
        authenticator.sessionsRevoked(userID: identity.userID)
        await closeSockets(of: identity.userID, reason: .loggedOut, context: context)
        context.logger.info("Signed out", metadata: ["user.id": "\(identity.userID)"])
        return Envelope(.loggedOut, for: context)
    }

    @Sendable func searchUser(_ request: Request, context: AppRequestContext) async throws -> Envelope<Profile?> {
        let fields = try await RequestFields.parse(request)
        let keyword = try fields.string(AccountFields.keyword, length: AccountFields.keywordLength)
        let user = try await users.enabledUser(username: keyword.precomposedStringWithCanonicalMapping)
        return Envelope(user.map(Profile.init))
    }

    /// A renewed token in the body and in `X-Parley-Token`, whatever is left of the current one.
    @Sendable func refreshToken(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Envelope<SessionRenewal.Renewed>> {
        // The session was active a moment ago (the middleware checked it); gone now means revoked meanwhile.
        guard let renewed = try await renewal.renewNow(try context.requireIdentity()) else {
            throw ParleyError(.tokenInvalid)
        }
        return EditedResponse(headers: [.parleyToken: renewed.token], response: Envelope(renewed))
    }

    /// A sign-in waits no longer than this for Redis.
    static let redisTimeout: TimeAmount = .seconds(1)

    /// Closes the account's sockets on every node. The session is already revoked in PostgreSQL,
    /// so without Redis the old token stops working all the same: the sign-in goes on, the failure
    /// is logged, and the revocation is announced once Redis answers again (the nodes then check
    /// that account's sockets against PostgreSQL).
    private func closeSockets(of userID: Int, reason: SocketCloseReason, context: AppRequestContext) async {
        do {
            try await accounts.supersede(userID: userID, reason: reason, timeout: Self.redisTimeout)
        } catch {
            NodeMetrics.redisError("supersede")
            accounts.announceSessionsChangedLater(userID: userID)
            context.logger.warning("Cannot close the account's sockets now", metadata: ["user.id": "\(userID)", "error": "\(error)"])
        }
    }
}
