import Foundation
import Hummingbird

/// The operations API (API.md §6, docs/api.md §9), answering for the whole cluster from any node.
/// Registered only when `PARLEY_ADMIN_TOKEN` is set; without it the whole `/admin` tree is a 404.
///
/// Its routes, one file each beside this one: the series (`AdminController+Series`), the event feed
/// (`AdminController+Events`) and the account view (`AdminController+Accounts`).
struct AdminController: Sendable {
    let accounts: AccountChannel
    let registry: NodeRegistry
    let users: UserStore
    let sessions: SessionStore
    let authenticator: Authenticator
    let events: EventFeed
    let series: SeriesStore
    let seriesInterval: Duration
    /// This node's id, in the events of the operators' actions it serves.
    let nodeID: String
    let trustedProxies: TrustedProxies
    /// The dashboard page (``DashboardPage/load()``).
    let page: ByteBuffer

    struct Cluster: Encodable, Sendable {
        let nodes: [NodeCard]
        /// Accounts with a live socket, summed over the live nodes.
        let online: Int
    }

    struct PresenceAnswer: Encodable, Sendable {
        let online: Bool
        @Nullable var node: String?
        @Nullable var since: Date?

        init(_ found: AccountChannel.Presence?) {
            online = found != nil
            node = found?.node
            since = found?.since
        }
    }

    func addRoutes(to router: Router<AppRequestContext>, adminToken: String) {
        // The dashboard page carries no data, so it needs no token: it asks the operator for one.
        router.get("admin", use: dashboard)
        router.group("admin")
            .add(middleware: AdminAuthenticationMiddleware(adminToken: adminToken))
            .get("cluster", use: cluster)
            .get("presence/:user_id", use: presence)
            .post("users/:id/kick", use: kick)
            .post("users/:id/disable", use: disable)
            .post("users/:id/enable", use: enable)
            .post("users/:id/revoke", use: revoke)
            .get("users", use: searchUsers)
            .get("users/:id", use: account)
            .get("series", use: seriesAnswer)
            .get("events", use: recentEvents)
    }

    /// `GET /admin/` serves the dashboard; `/admin` (the router matches both) is redirected to it,
    /// so that the page's relative calls (`cluster`, `presence/…`) resolve under `/admin/`.
    @Sendable func dashboard(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard request.uri.path.hasSuffix("/") else {
            return Response(status: .movedPermanently, headers: [.location: "admin/"])
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy: DashboardPage.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: page)
        )
    }

    @Sendable func cluster(_ request: Request, context: AppRequestContext) async throws -> Envelope<Cluster> {
        let nodes = try await redis { try await registry.nodes() }
        return Envelope(Cluster(nodes: nodes, online: nodes.reduce(0) { $0 + $1.connections }))
    }

    @Sendable func presence(_ request: Request, context: AppRequestContext) async throws -> Envelope<PresenceAnswer> {
        let userID = try context.userIDParameter("user_id")
        let found = try await redis { try await accounts.presence(userID: userID) }
        return Envelope(PresenceAnswer(found))
    }

    @Sendable func kick(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let user = try await existingUser(context)
        try await redis { try await accounts.supersede(userID: user.id, reason: .kicked) }
        context.logger.notice("Operator kicked an account", metadata: ["user.id": "\(user.id)"])
        await record(.userKicked, user: user, request, context)
        return Envelope(.ok, for: context)
    }

    /// Disables the account in PostgreSQL first (its token stops working at once, on every node),
    /// then closes its socket wherever it is.
    @Sendable func disable(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let user = try await existingUser(context)
        try await users.setStatus(userID: user.id, enabled: false)
        try await endSessions(of: user, revocation: .disabled, socket: .userDisabled)
        context.logger.notice("Operator disabled an account", metadata: ["user.id": "\(user.id)"])
        await record(.userDisabled, user: user, request, context)
        return Envelope(.ok, for: context)
    }

    @Sendable func enable(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let user = try await existingUser(context)
        try await users.setStatus(userID: user.id, enabled: true)
        context.logger.notice("Operator enabled an account", metadata: ["user.id": "\(user.id)"])
        await record(.userEnabled, user: user, request, context)
        return Envelope(.ok, for: context)
    }

    /// Revokes every session of the account (as a sign-out: the socket gets `logged_out`); the
    /// account stays enabled.
    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let user = try await existingUser(context)
        try await endSessions(of: user, revocation: .loggedOut, socket: .loggedOut)
        context.logger.notice("Operator revoked an account's sessions", metadata: ["user.id": "\(user.id)"])
        await record(.sessionsRevoked, user: user, request, context)
        return Envelope(.ok, for: context)
    }

    /// Revokes every session of the account in PostgreSQL (its tokens stop working at once, on every
    /// node), then closes its socket wherever it is.
    private func endSessions(of user: User, revocation: RevocationReason, socket: SocketCloseReason) async throws {
        try await sessions.revokeAll(userID: user.id, reason: revocation)
        authenticator.sessionsRevoked(userID: user.id)
        try await redis { try await accounts.supersede(userID: user.id, reason: socket) }
    }

    /// Writes an operator's action to the event feed: the node that served it and the caller's address.
    private func record(_ kind: ClusterEvent.Kind, user: User, _ request: Request, _ context: AppRequestContext) async {
        let address = context.clientAddress(of: request, trustedProxies: trustedProxies)?.text
        await events.record(ClusterEvent(kind: kind, node: nodeID, userID: user.id, address: address))
    }

    func existingUser(_ context: AppRequestContext) async throws -> User {
        guard let user = try await users.user(id: context.userIDParameter("id")) else {
            throw ParleyError(.userNotFound)
        }
        return user
    }

    /// Redis failures here are an outage (503), not a bug.
    @discardableResult
    func redis<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw DependencyUnavailable("redis", underlying: error)
        }
    }
}

extension AppRequestContext {
    /// A user id path parameter: a positive integer, else 404 (no such user can exist).
    func userIDParameter(_ name: String) throws -> Int {
        guard let id = parameters.get(name, as: Int.self), id > 0 else { throw ParleyError(.userNotFound) }
        return id
    }
}
