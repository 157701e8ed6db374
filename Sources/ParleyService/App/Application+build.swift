import Hummingbird
import Logging
import NIORedis
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// The services a node's routes share, built once from its configuration.
struct Dependencies: Sendable {
    let database: Database
    let users: UserStore
    let sessions: SessionStore
    let tokens: TokenAuthority
    let passwords: PasswordHasher
    let readiness: Readiness
    let authenticator: Authenticator
    let applies: ApplyStore
    let friends: FriendStore
    let tags: TagStore
    let reports: ReportStore
    let redis: RedisClient
    let subscriber: RedisSubscriber
    let presence: ClusterPresence
    let messages: MessageStore
    let inbox: InboxStore
    let media: MediaStore
    let events: EventFeed
    /// The bucket of `PARLEY_MEDIA_URL`, when set; media stay in PostgreSQL without one.
    let mediaBucket: S3MediaStorage?
    let logger: Logger

    init(configuration: ParleyConfiguration, logger: Logger) async throws {
        self.logger = logger
        database = try Database(url: configuration.databaseURL, poolSize: configuration.databasePoolSize, logger: logger)
        let redisConfiguration = try RedisConfiguration(url: configuration.redisURL)
        redis = RedisClient(configuration: redisConfiguration, logger: logger)
        subscriber = RedisSubscriber(configuration: redisConfiguration, publisher: redis, logger: logger)
        presence = ClusterPresence(
            redis: redis,
            keys: ClusterKeys(prefix: configuration.redisPrefix),
            nodeID: configuration.nodeID,
            presenceTTL: configuration.presenceTTL,
            epochs: ClusterEpochStore(database: database)
        )
        events = EventFeed(redis: redis, keys: presence.keys, logger: logger)
        users = UserStore(database: database)
        sessions = SessionStore(database: database)
        tokens = try await TokenAuthority(secret: configuration.requiredJWTSecret(), lifetime: configuration.tokenLifetime)
        passwords = PasswordHasher(cost: UInt8(configuration.bcryptCost))
        readiness = Readiness(database: database, redis: redis)
        messages = MessageStore(database: database)
        inbox = InboxStore(database: database)
        authenticator = Authenticator(tokens: tokens, sessions: sessions)
        applies = ApplyStore(database: database)
        friends = FriendStore(database: database)
        tags = TagStore(database: database)
        reports = ReportStore(database: database)
        let media = MediaStore(database: database)
        self.media = media
        mediaBucket = configuration.mediaURL.map { S3MediaStorage(client: S3Client(location: $0, http: .shared), media: media) }
    }
}

/// One Parley node: the HTTP application (routes and the WebSocket gateway on one port), the
/// gateway's cluster work, and the node's own jobs.
public struct ParleyNode: Sendable {
    let application: Application<RouterResponder<AppRequestContext>>
    let gateway: Gateway
    /// Jobs of the node's own, beside serving: history retention when configured.
    let jobs: [any Service]

    /// What the process runs, in the one `ServiceGroup` of `parley serve`, which stops them in
    /// reverse: the gateway comes after the application, so on SIGTERM it drains first — `/ready`
    /// turns 503 and sockets close with 1001 — while HTTP, PostgreSQL and Redis still work.
    public var services: [any Service] { [application, gateway] + jobs }
}

/// Builds one Parley node from its configuration.
/// - Parameter metrics: the registry `/metrics` shows; `main` bootstraps swift-metrics with it.
public func buildNode(
    configuration: ParleyConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> ParleyNode {
    let dependencies = try await Dependencies(configuration: configuration, logger: logger)
    let gateway = Gateway(
        presence: dependencies.presence,
        subscriber: dependencies.subscriber,
        courier: MessageCourier(inbox: dependencies.inbox, logger: logger),
        authenticator: dependencies.authenticator,
        sessionChecksConnection: try DedicatedConnection(url: configuration.databaseURL, logger: logger),
        readiness: dependencies.readiness,
        events: dependencies.events,
        configuration: configuration,
        logger: logger
    )
    let series = SeriesRecorder(
        counters: .shared, database: dependencies.database, store: seriesStore(configuration, dependencies), nodeID: configuration.nodeID,
        interval: configuration.seriesInterval, logger: logger, accountsOnline: { gateway.liveSocketCount }
    )
    let outages = OutageMonitor(
        readiness: dependencies.readiness, feed: dependencies.events, nodeID: configuration.nodeID, interval: configuration.seriesInterval
    )
    let application = Application(
        router: try buildRouter(configuration: configuration, dependencies: dependencies, metrics: metrics),
        server: .parley(
            delegate: gateway,
            timings: SocketTimings(),
            connectionGuard: ConnectionGuard(
                trustedProxies: configuration.trustedProxies,
                requestHeadTimeout: configuration.requestHeadTimeout,
                idleTimeout: configuration.idleTimeout,
                limit: configuration.connectionsPerAddress
            )
        ),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "parley"),
        // Shut down in reverse: the recorders stop before Redis and PostgreSQL do.
        services: [dependencies.database.client, dependencies.redis, dependencies.subscriber, series, outages],
        onServerRunning: { channel in
            let address = channel.localAddress?.description ?? "?"
            gateway.serverStarted(address: channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? address)
            logger.notice("Parley node listening", metadata: ["address": "\(address)", "node": "\(configuration.nodeID)"])
        },
        logger: logger
    )
    let retention = configuration.historyDays.map { HistoryRetention(database: dependencies.database, days: $0, logger: logger) }
    return ParleyNode(application: application, gateway: gateway, jobs: retention.map { [$0] } ?? [])
}

/// The node's side of the series in Redis: an hour of samples, `interval` apart.
func seriesStore(_ configuration: ParleyConfiguration, _ dependencies: Dependencies) -> SeriesStore {
    let window = Duration.seconds(3600)
    return SeriesStore(
        redis: dependencies.redis, keys: dependencies.presence.keys, window: window,
        capacity: Int(window.components.seconds / configuration.seriesInterval.components.seconds)
    )
}

/// The HTTP application alone, for tests that drive the routes without sockets.
func buildApplication(configuration: ParleyConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    try await buildNode(configuration: configuration, logger: logger).application
}

func buildRouter(
    configuration: ParleyConfiguration,
    dependencies: Dependencies,
    metrics: PrometheusCollectorRegistry
) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    if configuration.otelEndpoint != nil {
        // First, so the request's log line and its PostgreSQL and Redis spans are inside its span.
        // A token may come in the query (API.md §2): spans record the query with it blanked.
        router.add(middleware: TracingMiddleware(redactingQueryParameters: ["token"]))
    }
    if let cors = CrossOriginMiddleware<AppRequestContext>(origins: configuration.corsOrigins) {
        router.add(middleware: cors)
    }
    router.add(middleware: RequestObservationMiddleware())
    router.add(middleware: EnvelopeErrorMiddleware(negotiation: configuration.languageNegotiation))
    let renewal = SessionRenewal(tokens: dependencies.tokens, sessions: dependencies.sessions)
    let authentication = AuthenticationMiddleware(authenticator: dependencies.authenticator, renewal: renewal)
    ServiceController(configuration: configuration, readiness: dependencies.readiness, metrics: metrics).addRoutes(to: router)
    try APIDocumentController().addRoutes(to: router)
    AccountsController(
        users: dependencies.users,
        sessions: dependencies.sessions,
        authenticator: dependencies.authenticator,
        tokens: dependencies.tokens,
        passwords: dependencies.passwords,
        accounts: dependencies.presence.accounts,
        renewal: renewal,
        throttle: LoginThrottle(redis: dependencies.redis, keys: dependencies.presence.keys, logger: dependencies.logger),
        registrations: AddressRateLimiter(limit: configuration.registrationRatePerHour, per: .seconds(3600)),
        trustedProxies: configuration.trustedProxies
    ).addRoutes(to: router, authentication: authentication)
    ApplyController(
        applies: dependencies.applies, friends: dependencies.friends, users: dependencies.users,
        accounts: dependencies.presence.accounts, messages: dependencies.messages
    )
        .addRoutes(to: router, authentication: authentication)
    FriendsController(friends: dependencies.friends, tags: dependencies.tags, users: dependencies.users)
        .addRoutes(to: router, authentication: authentication)
    ProfilesController(users: dependencies.users, media: dependencies.media)
        .addRoutes(to: router, authentication: authentication)
    MediaController(media: dependencies.media, s3: dependencies.mediaBucket, publicURL: configuration.publicURL)
        .addRoutes(to: router, authentication: authentication)
    ReportsController(reports: dependencies.reports, users: dependencies.users)
        .addRoutes(to: router, authentication: authentication)
    ChatController(messages: dependencies.messages, inbox: dependencies.inbox, accounts: dependencies.presence.accounts)
        .addRoutes(to: router, authentication: authentication)
    if let adminToken = configuration.adminToken {
        AdminController(
            accounts: dependencies.presence.accounts, registry: dependencies.presence.registry,
            users: dependencies.users, sessions: dependencies.sessions, authenticator: dependencies.authenticator,
            events: dependencies.events, series: seriesStore(configuration, dependencies),
            seriesInterval: configuration.seriesInterval, nodeID: configuration.nodeID,
            trustedProxies: configuration.trustedProxies, page: try DashboardPage.load()
        )
            .addRoutes(to: router, adminToken: adminToken)
    }
    return router
}
