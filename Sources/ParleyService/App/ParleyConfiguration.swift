import Configuration
import Foundation
import Logging

/// Everything a node is told at start-up (API.md §7), read from `PARLEY_*` environment variables
/// and overridden by command-line flags of the same name (`PARLEY_NODE_ID` → `--node-id`).
public struct ParleyConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var nodeID: String
    public var databaseURL = "postgres://parley@127.0.0.1:5432/parley"
    /// PostgreSQL connections this node keeps open, all the time (see ``Dependencies``).
    public var databasePoolSize = 20
    public var redisURL = "redis://127.0.0.1:6379/0"
    public var redisPrefix = "parley:"
    public var jwtSecret: String?
    public var tokenLifetime: Duration = .seconds(604_800)
    public var adminToken: String?
    public var bcryptCost = 10
    public var heartbeat: Duration = .seconds(3)
    public var presenceTTL: Duration = .seconds(10)
    /// Between two samples of the dashboard's series and two probes of PostgreSQL and Redis; the
    /// node keeps an hour of samples (docs/api.md §7).
    public var seriesInterval: Duration = .seconds(5)
    public var logLevel: Logger.Level = .info
    /// `text` (one line per event) or `json` (one JSON object per line).
    public var logFormat: LogFormat = .text
    /// Origins allowed to call the API from a browser: `nil` is any origin (tokens travel in
    /// headers, never in cookies, so no credentials are shared); `[]` turns CORS off.
    public var corsOrigins: [String]?
    /// New sockets per client address per minute on this node; 0 turns the limit off.
    public var socketRatePerMinute = 600
    /// Registrations per client address per hour on this node; 0 turns the limit off.
    public var registrationRatePerHour = 60
    /// The balancers whose `X-Real-IP` names the client; from any other peer the header is ignored.
    public var trustedProxies = TrustedProxies.none
    /// A new connection's first request head must arrive within this, or the connection is closed.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// An HTTP connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// Open connections (HTTP and sockets) per client address; 0 for no limit. Trusted proxies are
    /// not counted: behind a balancer, the balancer caps connections per client.
    public var connectionsPerAddress = 1_000
    /// The `host:port` other nodes and operators reach this node at, shown in the registry;
    /// the listen address when `nil` (which says little when listening on 0.0.0.0).
    public var advertiseAddress: String?
    /// The base of the URLs `POST /upload` answers (`https://chat.example.com`); the upload
    /// request's host when `nil`.
    public var publicURL: String?
    /// The S3-compatible bucket media go to (`PARLEY_MEDIA_URL`); PostgreSQL when `nil`.
    public var mediaURL: S3Location?
    /// Whether `Accept-Language` chooses the texts' language, as API.md §1 says, or only the
    /// explicit `?lang` and `X-Parley-Language` do.
    public var languageNegotiation = LanguageNegotiation.acceptLanguage
    /// Messages older than this many days are deleted, with their inbox entries; `nil` keeps them.
    public var historyDays: Int?
    /// The OpenTelemetry collector spans are exported to over OTLP/HTTP (`http://collector:4318`,
    /// sent to its `/v1/traces`); `nil` turns tracing off.
    public var otelEndpoint: String?
    public var version = ParleyConfiguration.version

    /// The release this binary was built as.
    public static let version = "0.1.0"

    /// Defaults everywhere, a node id made from the host name and a random suffix.
    public init() {
        nodeID = Self.defaultNodeID()
    }

    /// Reads every setting under `parley.` (`PARLEY_` in the environment) from `reader`.
    public init(reader: ConfigReader) throws {
        self.init()
        let environment = reader
        let reader = reader.scoped(to: "parley")
        host = reader.string(forKey: "host") ?? host
        port = try reader.integer("port", environment: "PARLEY_PORT", in: 0...65_535) ?? port
        nodeID = reader.string(forKey: "node.id").flatMap { $0.isEmpty ? nil : $0 } ?? nodeID
        databaseURL = reader.string(forKey: "database.url") ?? databaseURL
        databasePoolSize = try reader.integer("database.pool", environment: "PARLEY_DATABASE_POOL", in: 1...1_000) ?? databasePoolSize
        redisURL = reader.string(forKey: "redis.url") ?? redisURL
        redisPrefix = reader.string(forKey: "redis.prefix") ?? redisPrefix
        jwtSecret = reader.string(forKey: "jwt.secret", isSecret: true)
        if let seconds = try reader.integer("token.ttl", environment: "PARLEY_TOKEN_TTL", in: 60...31_536_000) {
            tokenLifetime = .seconds(seconds)
        }
        adminToken = reader.string(forKey: "admin.token", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        bcryptCost = try reader.integer("bcrypt.cost", environment: "PARLEY_BCRYPT_COST", in: 4...31) ?? bcryptCost
        if let seconds = try reader.integer("heartbeat", environment: "PARLEY_HEARTBEAT", in: 1...3_600) {
            heartbeat = .seconds(seconds)
        }
        if let seconds = try reader.integer("presence.ttl", environment: "PARLEY_PRESENCE_TTL", in: 2...86_400) {
            presenceTTL = .seconds(seconds)
        }
        guard presenceTTL > heartbeat else {
            throw ConfigurationError.invalid(
                "PARLEY_PRESENCE_TTL",
                reason: "must be longer than PARLEY_HEARTBEAT, or every node expires between two heartbeats"
            )
        }
        if let seconds = try reader.integer("series.interval", environment: "PARLEY_SERIES_INTERVAL", in: 1...60) {
            seriesInterval = .seconds(seconds)
        }
        if let format = reader.string(forKey: "log.format") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw ConfigurationError.invalid("PARLEY_LOG_FORMAT", reason: "expected text or json, got \(format)")
            }
            logFormat = parsed
        }
        if let origins = reader.string(forKey: "cors.origins") {
            corsOrigins =
                switch origins.trimmingCharacters(in: .whitespaces) {
                case "*": nil
                case "", "none": []
                default: origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
        }
        socketRatePerMinute = try reader.integer("socket.rate", environment: "PARLEY_SOCKET_RATE", in: 0...1_000_000) ?? socketRatePerMinute
        registrationRatePerHour =
            try reader.integer("reg.rate", environment: "PARLEY_REG_RATE", in: 0...1_000_000) ?? registrationRatePerHour
        historyDays = try reader.integer("history.days", environment: "PARLEY_HISTORY_DAYS", in: 1...36_500)
        advertiseAddress = reader.string(forKey: "advertise.address").flatMap { $0.isEmpty ? nil : $0 }
        publicURL = try reader.httpURL("public.url", environment: "PARLEY_PUBLIC_URL")
        if let url = reader.string(forKey: "media.url", isSecret: true).flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                mediaURL = try S3Location(
                    url: url,
                    accessKeyID: environment.string(forKey: "aws.access.key.id", isSecret: true),
                    secretAccessKey: environment.string(forKey: "aws.secret.access.key", isSecret: true)
                )
            } catch {
                throw ConfigurationError.invalid("PARLEY_MEDIA_URL", reason: error.reason)
            }
        }
        otelEndpoint = try reader.httpURL("otel.endpoint", environment: "PARLEY_OTEL_ENDPOINT")
        if let negotiation = reader.string(forKey: "language.negotiation") {
            guard let parsed = LanguageNegotiation(rawValue: negotiation.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw ConfigurationError.invalid(
                    "PARLEY_LANGUAGE_NEGOTIATION", reason: "expected accept-language or explicit, got \(negotiation)"
                )
            }
            languageNegotiation = parsed
        }
        if reader.string(forKey: "trust.proxy") != nil {
            throw ConfigurationError.invalid(
                "PARLEY_TRUST_PROXY",
                reason: "replaced by PARLEY_TRUSTED_PROXIES, the balancer's addresses as CIDR blocks (e.g. 10.0.0.0/8)"
            )
        }
        if let list = reader.string(forKey: "trusted.proxies") {
            switch TrustedProxies.parse(list) {
            case .success(let proxies): trustedProxies = proxies
            case .failure(let invalid):
                throw ConfigurationError.invalid("PARLEY_TRUSTED_PROXIES", reason: "not an address or CIDR block: \(invalid.text)")
            }
        }
        if let seconds = try reader.integer("request.head.timeout", environment: "PARLEY_REQUEST_HEAD_TIMEOUT", in: 1...300) {
            requestHeadTimeout = .seconds(seconds)
        }
        if let seconds = try reader.integer("idle.timeout", environment: "PARLEY_IDLE_TIMEOUT", in: 1...3_600) {
            idleTimeout = .seconds(seconds)
        }
        connectionsPerAddress =
            try reader.integer("connections.per.address", environment: "PARLEY_CONNECTIONS_PER_ADDRESS", in: 0...1_000_000)
            ?? connectionsPerAddress
        if let level = reader.string(forKey: "log.level") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError.invalid("PARLEY_LOG_LEVEL", reason: "unknown level \(level)")
            }
            logLevel = parsed
        }
    }

    /// The signing secret `serve` cannot start without.
    public func requiredJWTSecret() throws -> String {
        guard let jwtSecret, jwtSecret.utf8.count >= TokenAuthority.minimumSecretLength else {
            throw ConfigurationError.invalid(
                "PARLEY_JWT_SECRET",
                reason: "serve needs a secret of at least \(TokenAuthority.minimumSecretLength) bytes"
                    + (jwtSecret.map { " (got \($0.utf8.count))" } ?? " (none set)")
            )
        }
        return jwtSecret
    }

    static func defaultNodeID() -> String {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(ProcessInfo.processInfo.hostName)-\(suffix)"
    }
}

extension ConfigReader {
    /// An integer setting, refused with its variable's name when it is not a number in `range`.
    fileprivate func integer(_ key: ConfigKey, environment name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(forKey: key) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError.invalid(name, reason: "expected a whole number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }

    /// An `http://` or `https://` URL setting; `nil` when unset or empty.
    fileprivate func httpURL(_ key: ConfigKey, environment name: String) throws -> String? {
        guard let url = string(forKey: key), !url.isEmpty else { return nil }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ConfigurationError.invalid(name, reason: "expected an http:// or https:// URL, got \(url)")
        }
        return url
    }
}

public enum LogFormat: String, Sendable {
    case text
    case json
}
