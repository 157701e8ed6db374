import Logging

/// Every setting of a node, in the order README.md's Configuration table lists them; names and
/// defaults are API.md §7's (`SettingsDocumentationTests` holds both documents to this).
extension Setting {
    public static let all: [Setting] = [
        host, port, nodeID, databaseURL, redisURL, redisPrefix, jwtSecret, tokenTTL, adminToken, bcryptCost, heartbeat,
        presenceTTL, logLevel, logFormat, corsOrigins, databasePool, socketRate, registrationRate, trustedProxies,
        requestHeadTimeout, idleTimeout, connectionsPerAddress, advertiseAddress, seriesInterval, publicURL, mediaURL,
        languageNegotiation, historyDays, otelEndpoint,
    ]

    static let host = Setting("PARLEY_HOST", .text, default: .value("127.0.0.1"), summary: "Listen address.")
    static let port = Setting("PARLEY_PORT", .integer(0...65_535), default: .value("8080"), summary: "Listen port.")
    static let nodeID = Setting(
        "PARLEY_NODE_ID", .text, default: .described("host name + random suffix"),
        summary: "This node's id in presence and the dashboard."
    )
    static let databaseURL = Setting(
        "PARLEY_DATABASE_URL", .text, default: .value("postgres://parley@127.0.0.1:5432/parley"), summary: "PostgreSQL URL.",
        isCommon: true
    )
    static let redisURL = Setting("PARLEY_REDIS_URL", .text, default: .value("redis://127.0.0.1:6379/0"), summary: "Redis URL.")
    static let redisPrefix = Setting(
        "PARLEY_REDIS_PREFIX", .text, default: .value("parley:"), summary: "Prefix of every Redis key and channel."
    )
    static let jwtSecret = Setting(
        "PARLEY_JWT_SECRET", .text, default: .described("none"), summary: "Token signing secret, at least 32 bytes; serve refuses to start without.",
        isSecret: true
    )
    static let tokenTTL = Setting(
        "PARLEY_TOKEN_TTL", .integer(60...31_536_000), default: .value("604800"), summary: "Token lifetime in seconds."
    )
    static let adminToken = Setting(
        "PARLEY_ADMIN_TOKEN", .text, default: .described("none"), summary: "Bearer token of the operations API; unset turns it off.",
        isSecret: true
    )
    static let bcryptCost = Setting("PARLEY_BCRYPT_COST", .integer(4...31), default: .value("10"), summary: "bcrypt cost.")
    static let heartbeat = Setting(
        "PARLEY_HEARTBEAT", .integer(1...3_600), default: .value("3"), summary: "Node heartbeat period in seconds."
    )
    static let presenceTTL = Setting(
        "PARLEY_PRESENCE_TTL", .integer(2...86_400), default: .value("10"),
        summary: "Seconds after which presence and node records expire; longer than the heartbeat."
    )
    static let logLevel = Setting(
        "PARLEY_LOG_LEVEL", .choice(Logger.Level.allCases.map(\.rawValue)), default: .value("info"), summary: "Log level.",
        isCommon: true
    )
    static let logFormat = Setting(
        "PARLEY_LOG_FORMAT", .choice(LogFormat.allCases.map(\.rawValue)), default: .value("text"),
        summary: "text: one line per event; json: one JSON object per line.", isCommon: true
    )
    static let corsOrigins = Setting(
        "PARLEY_CORS_ORIGINS", .text, default: .value("*"),
        summary: "Browser origins allowed by CORS, comma-separated; * for any, none for off."
    )
    static let databasePool = Setting(
        "PARLEY_DATABASE_POOL", .integer(1...1_000), default: .value("20"), summary: "PostgreSQL connections kept open by this node."
    )
    static let socketRate = Setting(
        "PARLEY_SOCKET_RATE", .integer(0...1_000_000), default: .value("600"),
        summary: "New sockets per client address per minute; 0 for no limit."
    )
    static let registrationRate = Setting(
        "PARLEY_REG_RATE", .integer(0...1_000_000), default: .value("60"),
        summary: "Registrations per client address per hour; 0 for no limit."
    )
    static let trustedProxies = Setting(
        "PARLEY_TRUSTED_PROXIES", .text, default: .described("none"),
        summary: "Balancers trusted to set X-Real-IP, as comma-separated CIDR blocks."
    )
    static let requestHeadTimeout = Setting(
        "PARLEY_REQUEST_HEAD_TIMEOUT", .integer(1...300), default: .value("10"),
        summary: "Seconds a new connection has to send its first request head."
    )
    static let idleTimeout = Setting(
        "PARLEY_IDLE_TIMEOUT", .integer(1...3_600), default: .value("60"), summary: "Seconds before an idle HTTP connection is closed."
    )
    static let connectionsPerAddress = Setting(
        "PARLEY_CONNECTIONS_PER_ADDRESS", .integer(0...1_000_000), default: .value("1000"),
        summary: "Open connections per client address; 0 for no limit."
    )
    static let advertiseAddress = Setting(
        "PARLEY_ADVERTISE_ADDRESS", .text, default: .described("the listen address"),
        summary: "host:port this node is reached at, shown in the registry."
    )
    static let seriesInterval = Setting(
        "PARLEY_SERIES_INTERVAL", .integer(1...60), default: .value("5"),
        summary: "Seconds between two samples of the dashboard's charts and two dependency probes."
    )
    static let publicURL = Setting(
        "PARLEY_PUBLIC_URL", .httpURL, default: .described("`http://` + the upload request's `Host`"),
        summary: "Base of the media URLs uploads answer, e.g. https://chat.example.com."
    )
    static let mediaURL = Setting(
        "PARLEY_MEDIA_URL", .text, default: .described("none"),
        summary: "S3-compatible bucket for media, s3://bucket?endpoint=…&region=…; unset keeps them in PostgreSQL.", isSecret: true
    )
    static let languageNegotiation = Setting(
        "PARLEY_LANGUAGE_NEGOTIATION", .choice(LanguageNegotiation.allCases.map(\.rawValue)), default: .value("accept-language"),
        summary: "accept-language: Accept-Language chooses the texts' language; explicit: only ?lang and X-Parley-Language."
    )
    static let historyDays = Setting(
        "PARLEY_HISTORY_DAYS", .integer(1...36_500), default: .described("none"), summary: "Days messages are kept; unset keeps them."
    )
    static let otelEndpoint = Setting(
        "PARLEY_OTEL_ENDPOINT", .httpURL, default: .described("none"),
        summary: "OpenTelemetry collector that spans are sent to over OTLP/HTTP, e.g. http://collector:4318; unset turns tracing off."
    )
}
