import Hummingbird
import Logging
import PostgresNIO

/// The services a node's routes share, built once from its configuration.
public struct Dependencies: Sendable {
    public let database: Database
    public let users: UserStore
    public let sessions: SessionStore
    public let tokens: TokenAuthority
    public let passwords: PasswordHasher
    public let readiness: Readiness
    public let applies: ApplyStore
    public let friends: FriendStore
    public let tags: TagStore
    public let reports: ReportStore

    public init(configuration: ParleyConfiguration, logger: Logger) async throws {
        let client = PostgresClient(configuration: try .init(url: configuration.databaseURL), backgroundLogger: logger)
        database = Database(client: client, logger: logger)
        users = UserStore(database: database)
        sessions = SessionStore(database: database)
        tokens = try await TokenAuthority(secret: configuration.requiredJWTSecret(), lifetime: configuration.tokenLifetime)
        passwords = PasswordHasher(cost: UInt8(configuration.bcryptCost))
        readiness = Readiness(database: database)
        applies = ApplyStore(database: database)
        friends = FriendStore(database: database)
        tags = TagStore(database: database)
        reports = ReportStore(database: database)
    }
}

/// Builds one Parley node: its routes, its middleware and the services it runs.
public func buildApplication(
    configuration: ParleyConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let dependencies = try await Dependencies(configuration: configuration, logger: logger)
    let router = buildRouter(configuration: configuration, dependencies: dependencies)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "parley"),
        services: [dependencies.database.client],
        onServerRunning: { channel in
            logger.notice(
                "Parley node listening",
                metadata: ["address": "\(channel.localAddress?.description ?? "?")", "node": "\(configuration.nodeID)"]
            )
        },
        logger: logger
    )
}

func buildRouter(configuration: ParleyConfiguration, dependencies: Dependencies) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: EnvelopeErrorMiddleware())
    let authentication = AuthenticationMiddleware(tokens: dependencies.tokens, sessions: dependencies.sessions)
    ServiceController(configuration: configuration, readiness: dependencies.readiness).addRoutes(to: router)
    AccountsController(
        users: dependencies.users,
        sessions: dependencies.sessions,
        tokens: dependencies.tokens,
        passwords: dependencies.passwords
    ).addRoutes(to: router, authentication: authentication)
    ApplyController(applies: dependencies.applies, friends: dependencies.friends, users: dependencies.users)
        .addRoutes(to: router, authentication: authentication)
    FriendsController(friends: dependencies.friends, tags: dependencies.tags, users: dependencies.users)
        .addRoutes(to: router, authentication: authentication)
    ReportsController(reports: dependencies.reports, users: dependencies.users)
        .addRoutes(to: router, authentication: authentication)
    return router
}
