/// One point of a node's series, or of the cluster's (docs/api.md §9): rates per second over the
/// interval that ends at `t`, latencies in milliseconds.
struct Sample: Codable, Sendable, Equatable {
    struct Connects: Codable, Sendable, Equatable {
        var accepted: Double
        var refused: [String: Double]
    }

    struct HTTPGroup: Codable, Sendable, Equatable {
        var requests: Double
        @Nullable var p99Milliseconds: Double?

        enum CodingKeys: String, CodingKey {
            case requests
            case p99Milliseconds = "p99_ms"
        }
    }

    /// The end of the interval, epoch milliseconds, a multiple of the interval.
    var t: Int64
    var sockets: Int
    var accountsOnline: Int
    var connects: Connects
    var kicks: Double
    var messages: Double
    var http: [String: HTTPGroup]
    @Nullable var kickP99Milliseconds: Double?
    var heartbeatLagMilliseconds: Double
    var postgresInUse: Int
    var postgresWaiting: Int
    var redisErrors: Double
    var rssBytes: Int
    /// CPU time over the interval, in cores.
    var cpu: Double

    enum CodingKeys: String, CodingKey {
        case t, sockets, connects, kicks, messages, http, cpu
        case accountsOnline = "accounts_online"
        case kickP99Milliseconds = "kick_p99_ms"
        case heartbeatLagMilliseconds = "heartbeat_lag_ms"
        case postgresInUse = "postgres_in_use"
        case postgresWaiting = "postgres_waiting"
        case redisErrors = "redis_errors"
        case rssBytes = "rss_bytes"
    }
}
