import Metrics

/// The series an operator watches on every node (exposed at `/metrics`).
///
/// Labels stay low-cardinality: reasons and outcomes are small fixed sets, routes are the router's
/// patterns (`/apply/:page`), never raw paths or user ids.
public struct NodeMetrics: Sendable {
    /// Open sockets on this node, signed in or not.
    let sockets = Meter(label: "parley_sockets")
    /// Accounts whose live socket this node holds.
    let accountsOnline = Gauge(label: "parley_accounts_online")
    let heartbeatLag = Gauge(label: "parley_heartbeat_lag_seconds")
    let heartbeatDuration = Timer(label: "parley_heartbeat_duration_seconds")
    let subscriberReconnects = Counter(label: "parley_redis_subscriber_reconnects_total")
    let probeFailures = Counter(label: "parley_redis_probe_failures_total")
    /// From the publish time carried in a kick to the socket's close here.
    let kickDelivery = Timer(label: "parley_kick_delivery_seconds")

    public init() {}

    func connectAccepted() {
        Counter(label: "parley_socket_connects_total", dimensions: [("outcome", "accepted"), ("reason", "")]).increment()
    }

    func connectRefused(_ reason: String) {
        Counter(label: "parley_socket_connects_total", dimensions: [("outcome", "refused"), ("reason", reason)]).increment()
    }

    /// Kicks this node published are counted where it publishes them (``AccountChannel``).
    static func kickSent(_ reason: SocketCloseReason) {
        Counter(label: "parley_kicks_sent_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    func kickReceived(_ reason: SocketCloseReason) {
        Counter(label: "parley_kicks_received_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    /// A connection closed before its first request: `per_address` (over
    /// `PARLEY_CONNECTIONS_PER_ADDRESS`) or `head_timeout` (no request head in time).
    static func connectionDropped(_ reason: String) {
        Counter(label: "parley_connections_dropped_total", dimensions: [("reason", reason)]).increment()
    }

    static func redisError(_ operation: String) {
        Counter(label: "parley_redis_errors_total", dimensions: [("operation", operation)]).increment()
    }

    static func httpRequest(route: String, method: String, status: Int, duration: Duration) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Counter(label: "parley_http_requests_total", dimensions: dimensions).increment()
        Timer(label: "parley_http_request_duration_seconds", dimensions: dimensions).recordNanoseconds(duration.nanoseconds)
    }

    /// PostgreSQL connections held by the node's queries, and queries waiting for one.
    static let postgresConnectionsInUse = Gauge(label: "parley_postgres_pool_in_use")
    static let postgresQueriesWaiting = Gauge(label: "parley_postgres_pool_waiting")
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
