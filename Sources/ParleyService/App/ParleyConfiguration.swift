import Configuration
import Foundation
import Logging

/// Everything a node is told at start-up (API.md §7), read from `PARLEY_*` environment variables
/// and overridden by command-line flags of the same name (`PARLEY_NODE_ID` → `--node-id`).
public struct ParleyConfiguration: Sendable {
    var host: String
    var port: Int
    public var nodeID: String
    public var databaseURL: String
    /// PostgreSQL connections this node keeps open, all the time (see ``Dependencies``).
    var databasePoolSize: Int
    var redisURL: String
    var redisPrefix: String
    var jwtSecret: String?
    var tokenLifetime: Duration
    var adminToken: String?
    var bcryptCost: Int
    var heartbeat: Duration
    var presenceTTL: Duration
    /// Between two samples of the dashboard's series and two probes of PostgreSQL and Redis; the
    /// node keeps an hour of samples (docs/api.md §7).
    var seriesInterval: Duration
    var logLevel: Logger.Level
    /// `text` (one line per event) or `json` (one JSON object per line).
    var logFormat: LogFormat
    /// Origins allowed to call the API from a browser: `nil` is any origin (tokens travel in
    /// headers, never in cookies, so no credentials are shared); `[]` turns CORS off.
    var corsOrigins: [String]?
    /// New sockets per client address per minute on this node; 0 turns the limit off.
    var socketRatePerMinute: Int
    /// Registrations per client address per hour on this node; 0 turns the limit off.
    var registrationRatePerHour: Int
    /// The balancers whose `X-Real-IP` names the client; from any other peer the header is ignored.
    var trustedProxies: TrustedProxies
    /// A new connection's first request head must arrive within this, or the connection is closed.
    var requestHeadTimeout: Duration
    /// An HTTP connection with no request in progress is closed after this long.
    var idleTimeout: Duration
    /// Open connections (HTTP and sockets) per client address; 0 for no limit. Trusted proxies are
    /// not counted: behind a balancer, the balancer caps connections per client.
    var connectionsPerAddress: Int
    /// The `host:port` other nodes and operators reach this node at, shown in the registry;
    /// the listen address when `nil` (which says little when listening on 0.0.0.0).
    var advertiseAddress: String?
    /// The base of the URLs `POST /upload` answers (`https://chat.example.com`); the upload
    /// request's host when `nil`.
    var publicURL: String?
    /// The S3-compatible bucket media go to (`PARLEY_MEDIA_URL`); PostgreSQL when `nil`.
    var mediaURL: S3Location?
    /// Whether `Accept-Language` chooses the texts' language, as API.md §1 says, or only the
    /// explicit `?lang` and `X-Parley-Language` do.
    var languageNegotiation: LanguageNegotiation
    /// Messages older than this many days are deleted, with their inbox entries; `nil` keeps them.
    var historyDays: Int?
    /// The OpenTelemetry collector spans are exported to over OTLP/HTTP (`http://collector:4318`,
    /// sent to its `/v1/traces`); `nil` turns tracing off.
    public var otelEndpoint: String?
    /// The release this node runs, shown by `/` and in the registry.
    public var version: String { Self.version }

    /// The release this binary was built as.
    public static let version = "0.1.0"

    /// Defaults everywhere, a node id made from the host name and a random suffix.
    init() {
        // The declared defaults are valid: ConfigurationTests.defaultsAreThoseOfTheContract reads them.
        try! self.init(reader: ConfigReader(provider: InMemoryProvider(values: [:])))
    }

    /// Reads every setting of ``Setting/all`` (`PARLEY_*` in the environment) from `reader`.
    public init(reader: ConfigReader) throws {
        let settings = SettingReader(reader)
        host = try settings.requiredString(.host)
        port = try settings.requiredInt(.port)
        nodeID = try settings.string(.nodeID) ?? Self.defaultNodeID()
        databaseURL = try settings.requiredString(.databaseURL)
        databasePoolSize = try settings.requiredInt(.databasePool)
        redisURL = try settings.requiredString(.redisURL)
        redisPrefix = try settings.requiredString(.redisPrefix)
        jwtSecret = try settings.string(.jwtSecret)
        tokenLifetime = .seconds(try settings.requiredInt(.tokenTTL))
        adminToken = try settings.string(.adminToken)
        bcryptCost = try settings.requiredInt(.bcryptCost)
        heartbeat = .seconds(try settings.requiredInt(.heartbeat))
        presenceTTL = .seconds(try settings.requiredInt(.presenceTTL))
        guard presenceTTL > heartbeat else {
            throw Setting.presenceTTL.refusal(
                "must be longer than \(Setting.heartbeat.variable), or every node expires between two heartbeats"
            )
        }
        seriesInterval = .seconds(try settings.requiredInt(.seriesInterval))
        logFormat = try settings.choice(.logFormat)
        corsOrigins =
            switch try settings.requiredString(.corsOrigins).trimmingCharacters(in: .whitespaces) {
            case "*": nil
            case "", "none": []
            case let origins: origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        socketRatePerMinute = try settings.requiredInt(.socketRate)
        registrationRatePerHour = try settings.requiredInt(.registrationRate)
        historyDays = try settings.int(.historyDays)
        advertiseAddress = try settings.string(.advertiseAddress)
        publicURL = try settings.string(.publicURL)
        if let url = try settings.string(.mediaURL) {
            do {
                mediaURL = try S3Location(
                    url: url,
                    accessKeyID: reader.string(forKey: "aws.access.key.id", isSecret: true),
                    secretAccessKey: reader.string(forKey: "aws.secret.access.key", isSecret: true)
                )
            } catch {
                throw Setting.mediaURL.refusal(error.reason)
            }
        }
        otelEndpoint = try settings.string(.otelEndpoint)
        languageNegotiation = try settings.choice(.languageNegotiation)
        if reader.string(forKey: "parley.trust.proxy") != nil {
            throw ConfigurationError.invalid(
                "PARLEY_TRUST_PROXY",
                reason: "replaced by \(Setting.trustedProxies.variable), the balancer's addresses as CIDR blocks (e.g. 10.0.0.0/8)"
            )
        }
        switch TrustedProxies.parse(try settings.string(.trustedProxies) ?? "") {
        case .success(let proxies): trustedProxies = proxies
        case .failure(let invalid): throw Setting.trustedProxies.refusal("not an address or CIDR block: \(invalid.text)")
        }
        requestHeadTimeout = .seconds(try settings.requiredInt(.requestHeadTimeout))
        idleTimeout = .seconds(try settings.requiredInt(.idleTimeout))
        connectionsPerAddress = try settings.requiredInt(.connectionsPerAddress)
        logLevel = try settings.choice(.logLevel)
    }

    /// The signing secret `serve` cannot start without.
    public func requiredJWTSecret() throws -> String {
        guard let jwtSecret, jwtSecret.utf8.count >= TokenAuthority.minimumSecretLength else {
            throw Setting.jwtSecret.refusal(
                "serve needs a secret of at least \(TokenAuthority.minimumSecretLength) bytes"
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

enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}
