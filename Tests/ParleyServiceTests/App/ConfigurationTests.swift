import Configuration
import Testing
@testable import ParleyService

@Suite("Configuration (API.md §7)")
struct ConfigurationTests {
    func configuration(_ environment: [String: String]) throws -> ParleyConfiguration {
        try ParleyConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    @Test func defaultsAreThoseOfTheContract() throws {
        let configuration = try configuration([:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databaseURL == "postgres://parley@127.0.0.1:5432/parley")
        #expect(configuration.redisURL == "redis://127.0.0.1:6379/0")
        #expect(configuration.redisPrefix == "parley:")
        #expect(configuration.jwtSecret == nil)
        #expect(configuration.tokenLifetime == .seconds(604_800))
        #expect(configuration.adminToken == nil)
        #expect(configuration.historyDays == nil, "messages are kept")
        #expect(configuration.bcryptCost == 10)
        #expect(configuration.heartbeat == .seconds(3))
        #expect(configuration.presenceTTL == .seconds(10))
        #expect(configuration.seriesInterval == .seconds(5))
        #expect(configuration.logLevel == .info)
        #expect(!configuration.nodeID.isEmpty)
        #expect(configuration.corsOrigins == nil)
        #expect(configuration.languageNegotiation == .acceptLanguage)
        #expect(configuration.mediaURL == nil)
        #expect(configuration.otelEndpoint == nil)
    }

    @Test func readsTheMediaBucketWithTheEnvironmentsCredentials() throws {
        let local = try #require(try configuration([
            "PARLEY_MEDIA_URL": "s3://media/parley/?endpoint=http://127.0.0.1:9000&region=eu-west-1",
            "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
        ]).mediaURL)
        #expect(local.bucket == "media")
        #expect(local.keyPrefix == "parley/")
        #expect(local.region == "eu-west-1")
        #expect(local.credentials == .init(accessKeyID: "id", secretAccessKey: "secret"))
        #expect(local.url(path: local.path(of: "media/ab"), query: "") == "http://127.0.0.1:9000/media/parley/media/ab")

        let aws = try #require(try configuration([
            "PARLEY_MEDIA_URL": "s3://media?access_key_id=qid&secret_access_key=qsecret", "AWS_ACCESS_KEY_ID": "id",
        ]).mediaURL)
        #expect(aws.credentials == .init(accessKeyID: "qid", secretAccessKey: "qsecret"))
        #expect(aws.url(path: aws.path(of: "media/ab"), query: "x=1") == "https://media.s3.us-east-1.amazonaws.com/media/ab?x=1")
    }

    @Test func readsEveryVariable() throws {
        let configuration = try configuration([
            "PARLEY_HOST": "0.0.0.0", "PARLEY_PORT": "9000", "PARLEY_NODE_ID": "n1",
            "PARLEY_DATABASE_URL": "postgres://u@db:5433/x", "PARLEY_REDIS_URL": "redis://r:6380/2",
            "PARLEY_REDIS_PREFIX": "p:", "PARLEY_JWT_SECRET": String(repeating: "s", count: 32), "PARLEY_TOKEN_TTL": "3600",
            "PARLEY_ADMIN_TOKEN": "adm", "PARLEY_BCRYPT_COST": "12", "PARLEY_HEARTBEAT": "2", "PARLEY_PRESENCE_TTL": "7",
            "PARLEY_LOG_LEVEL": "debug", "PARLEY_LOG_FORMAT": "json", "PARLEY_CORS_ORIGINS": "https://a.example, https://b.example",
            "PARLEY_SOCKET_RATE": "0", "PARLEY_REG_RATE": "5", "PARLEY_TRUSTED_PROXIES": "10.0.0.0/8,::1",
            "PARLEY_ADVERTISE_ADDRESS": "10.0.0.7:8080", "PARLEY_REQUEST_HEAD_TIMEOUT": "3", "PARLEY_IDLE_TIMEOUT": "20",
            "PARLEY_CONNECTIONS_PER_ADDRESS": "50", "PARLEY_LANGUAGE_NEGOTIATION": "explicit", "PARLEY_HISTORY_DAYS": "30",
            "PARLEY_OTEL_ENDPOINT": "http://collector:4318",
            "PARLEY_SERIES_INTERVAL": "1",
        ])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.nodeID == "n1")
        #expect(configuration.databaseURL == "postgres://u@db:5433/x")
        #expect(configuration.redisURL == "redis://r:6380/2")
        #expect(configuration.redisPrefix == "p:")
        #expect(try configuration.requiredJWTSecret().count == 32)
        #expect(configuration.tokenLifetime == .seconds(3600))
        #expect(configuration.adminToken == "adm")
        #expect(configuration.bcryptCost == 12)
        #expect(configuration.heartbeat == .seconds(2))
        #expect(configuration.presenceTTL == .seconds(7))
        #expect(configuration.seriesInterval == .seconds(1))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.corsOrigins == ["https://a.example", "https://b.example"])
        #expect(configuration.socketRatePerMinute == 0)
        #expect(configuration.registrationRatePerHour == 5)
        #expect(configuration.trustedProxies == (try TrustedProxies.parse("10.0.0.0/8,::1").get()))
        #expect(configuration.requestHeadTimeout == .seconds(3))
        #expect(configuration.idleTimeout == .seconds(20))
        #expect(configuration.connectionsPerAddress == 50)
        #expect(configuration.advertiseAddress == "10.0.0.7:8080")
        #expect(configuration.languageNegotiation == .explicit)
        #expect(configuration.historyDays == 30)
        #expect(configuration.otelEndpoint == "http://collector:4318")
    }

    /// Each refusal names the variable to fix (the first of the pair, where two settings disagree).
    @Test(arguments: [
        ("PARLEY_PORT", ["PARLEY_PORT": "http"]), ("PARLEY_PORT", ["PARLEY_PORT": "70000"]),
        ("PARLEY_BCRYPT_COST", ["PARLEY_BCRYPT_COST": "3"]), ("PARLEY_LOG_LEVEL", ["PARLEY_LOG_LEVEL": "loud"]),
        ("PARLEY_HEARTBEAT", ["PARLEY_HEARTBEAT": "10", "PARLEY_PRESENCE_TTL": "5"]), ("PARLEY_LOG_FORMAT", ["PARLEY_LOG_FORMAT": "xml"]),
        ("PARLEY_TRUSTED_PROXIES", ["PARLEY_TRUSTED_PROXIES": "10.0.0.0/8,nginx"]),
        ("PARLEY_REQUEST_HEAD_TIMEOUT", ["PARLEY_REQUEST_HEAD_TIMEOUT": "0"]),
        ("PARLEY_LANGUAGE_NEGOTIATION", ["PARLEY_LANGUAGE_NEGOTIATION": "off"]),
        ("PARLEY_MEDIA_URL", ["PARLEY_MEDIA_URL": "http://127.0.0.1:9000/media"]), ("PARLEY_HISTORY_DAYS", ["PARLEY_HISTORY_DAYS": "0"]),
        ("PARLEY_MEDIA_URL", ["PARLEY_MEDIA_URL": "s3://media?endpoint=ftp://x", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"]),
        ("PARLEY_MEDIA_URL", ["PARLEY_MEDIA_URL": "s3://media?endpoint=http://127.0.0.1:9000"]),  // no credentials
        ("PARLEY_OTEL_ENDPOINT", ["PARLEY_OTEL_ENDPOINT": "collector:4318"]),
        ("PARLEY_SERIES_INTERVAL", ["PARLEY_SERIES_INTERVAL": "0"]), ("PARLEY_SERIES_INTERVAL", ["PARLEY_SERIES_INTERVAL": "61"]),
        // Replaced: a node must not start believing every peer's X-Real-IP, nor silently ignore it.
        ("PARLEY_TRUST_PROXY", ["PARLEY_TRUST_PROXY": "1"]),
    ])
    func refusesNonsenseWithTheVariablesName(variable: String, environment: [String: String]) throws {
        let error = try #require(throws: ConfigurationError.self) { try configuration(environment) }
        #expect(error.description.contains(variable), "\(error.description)")
    }

    @Test func serveNeedsALongEnoughSecret() throws {
        let short = try configuration(["PARLEY_JWT_SECRET": "short"])
        let error = try #require(throws: ConfigurationError.self) { try short.requiredJWTSecret() }
        #expect(error.description.contains("PARLEY_JWT_SECRET"))
        #expect(error.description.contains("32"))
    }
}
