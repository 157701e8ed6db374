import ArgumentParser
import Hummingbird
import ServiceLifecycle
import Metrics
import ParleyService
import Prometheus

/// `parley serve`: runs one node until SIGTERM or SIGINT, then shuts down gracefully.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one Parley node.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Listen address (PARLEY_HOST).") var host: String?
    @Option(help: "Listen port (PARLEY_PORT).") var port: String?
    @Option(help: "This node's id in presence and the dashboard (PARLEY_NODE_ID).") var nodeId: String?
    @Option(help: "PostgreSQL connections kept open by this node (PARLEY_DATABASE_POOL).") var databasePool: String?
    @Option(help: "Redis URL (PARLEY_REDIS_URL).") var redisUrl: String?
    @Option(help: "Prefix of every Redis key and channel (PARLEY_REDIS_PREFIX).") var redisPrefix: String?
    @Option(help: "Token signing secret, at least 32 bytes (PARLEY_JWT_SECRET).") var jwtSecret: String?
    @Option(help: "Token lifetime in seconds (PARLEY_TOKEN_TTL).") var tokenTtl: String?
    @Option(help: "Bearer token of the operations API; unset turns it off (PARLEY_ADMIN_TOKEN).") var adminToken: String?
    @Option(help: "bcrypt cost (PARLEY_BCRYPT_COST).") var bcryptCost: String?
    @Option(help: "Node heartbeat period in seconds (PARLEY_HEARTBEAT).") var heartbeat: String?
    @Option(help: "Seconds after which presence and node records expire (PARLEY_PRESENCE_TTL).") var presenceTtl: String?
    @Option(help: "Seconds between two samples of the dashboard's charts and two dependency probes (PARLEY_SERIES_INTERVAL).")
    var seriesInterval: String?
    @Option(help: "Browser origins allowed by CORS, comma-separated; * for any, none for off (PARLEY_CORS_ORIGINS).") var corsOrigins: String?
    @Option(help: "New sockets per client address per minute; 0 for no limit (PARLEY_SOCKET_RATE).") var socketRate: String?
    @Option(help: "Registrations per client address per hour; 0 for no limit (PARLEY_REG_RATE).") var regRate: String?
    @Option(help: "Balancers trusted to set X-Real-IP, as comma-separated CIDR blocks (PARLEY_TRUSTED_PROXIES).") var trustedProxies: String?
    @Option(help: "Seconds a new connection has to send its first request head (PARLEY_REQUEST_HEAD_TIMEOUT).") var requestHeadTimeout: String?
    @Option(help: "Seconds before an idle HTTP connection is closed (PARLEY_IDLE_TIMEOUT).") var idleTimeout: String?
    @Option(help: "Open connections per client address; 0 for no limit (PARLEY_CONNECTIONS_PER_ADDRESS).") var connectionsPerAddress: String?
    @Option(help: "host:port this node is reached at, shown in the registry (PARLEY_ADVERTISE_ADDRESS).") var advertiseAddress: String?
    @Option(help: "Base of the media URLs uploads answer, e.g. https://chat.example.com (PARLEY_PUBLIC_URL).") var publicUrl: String?
    @Option(help: "S3-compatible bucket for media, s3://bucket?endpoint=…&region=…; unset keeps them in PostgreSQL (PARLEY_MEDIA_URL).")
    var mediaUrl: String?
    @Option(help: "accept-language: Accept-Language chooses the texts' language; explicit: only ?lang and X-Parley-Language (PARLEY_LANGUAGE_NEGOTIATION).")
    var languageNegotiation: String?
    @Option(help: "Days messages are kept; unset keeps them (PARLEY_HISTORY_DAYS).") var historyDays: String?
    @Option(help: "OpenTelemetry collector that spans are sent to over OTLP/HTTP, e.g. http://collector:4318; unset turns tracing off (PARLEY_OTEL_ENDPOINT).")
    var otelEndpoint: String?

    func run() async throws {
        let flags = common.flags.merging([
            "parley.host": host, "parley.port": port, "parley.node.id": nodeId, "parley.database.pool": databasePool,
            "parley.redis.url": redisUrl,
            "parley.redis.prefix": redisPrefix, "parley.jwt.secret": jwtSecret, "parley.token.ttl": tokenTtl,
            "parley.admin.token": adminToken, "parley.bcrypt.cost": bcryptCost, "parley.heartbeat": heartbeat,
            "parley.presence.ttl": presenceTtl, "parley.series.interval": seriesInterval, "parley.cors.origins": corsOrigins, "parley.socket.rate": socketRate,
            "parley.reg.rate": regRate, "parley.trusted.proxies": trustedProxies,
            "parley.request.head.timeout": requestHeadTimeout, "parley.idle.timeout": idleTimeout,
            "parley.connections.per.address": connectionsPerAddress, "parley.advertise.address": advertiseAddress,
            "parley.public.url": publicUrl, "parley.language.negotiation": languageNegotiation,
            "parley.media.url": mediaUrl, "parley.history.days": historyDays, "parley.otel.endpoint": otelEndpoint,
        ]) { $1 }
        let configuration = try ParleyConfiguration.load(flags: flags)
        _ = try configuration.requiredJWTSecret()
        configuration.bootstrapLogging()
        let logger = configuration.makeLogger(label: "parley")
        // Once per process, here and not in buildNode: swift-metrics refuses a second bootstrap.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let tracing = try configuration.bootstrapTracing(logger: logger)
        let node = try await buildNode(configuration: configuration, logger: logger, metrics: registry)
        // ServiceGroup stops services in reverse order: the tracer, listed first, exports until the node has stopped.
        try await ServiceGroup(
            configuration: .init(services: [tracing].compactMap { $0 } + [node], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}
