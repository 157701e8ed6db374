import Metrics

/// The series an operator watches on every node (exposed at `/metrics`).
///
/// Labels stay low-cardinality: reasons and outcomes are small fixed sets, routes are the router's
/// patterns (`/apply/:page`), never raw paths or user ids.
///
/// Each call also counts into ``NodeCounters``, the atomics behind the dashboard's charts.
struct NodeMetrics: Sendable {
    /// Open sockets on this node, signed in or not.
    private let sockets = Meter(label: "parley_sockets")
    /// Accounts whose live socket this node holds.
    let accountsOnline = Gauge(label: "parley_accounts_online")
    private let heartbeatLag = Gauge(label: "parley_heartbeat_lag_seconds")
    let heartbeatDuration = Timer(label: "parley_heartbeat_duration_seconds")
    let subscriberReconnects = Counter(label: "parley_redis_subscriber_reconnects_total")
    let probeFailures = Counter(label: "parley_redis_probe_failures_total")
    /// From the publish time carried in a kick to the socket's close here.
    private let kickDelivery = Timer(label: "parley_kick_delivery_seconds")
    /// Held rather than looked up per connect: making a `Counter` finds it in the registry under a
    /// lock, on every accepted connect (BENCHMARKS.md, fix 36).
    private let connectsAccepted = Counter(label: "parley_socket_connects_total", dimensions: [("outcome", "accepted"), ("reason", "")])

    init() {}

    func socketOpened() {
        sockets.increment()
        NodeCounters.shared.sockets.add(1)
    }

    func socketClosed() {
        sockets.decrement()
        NodeCounters.shared.sockets.add(-1)
    }

    /// How late a heartbeat started (its period past the previous one's start).
    func heartbeatLagged(_ lag: Duration) {
        heartbeatLag.record(Double(lag.nanoseconds) / 1e9)
        NodeCounters.shared.heartbeatLagMaximum.raise(to: Int(lag.nanoseconds / 1000))
    }

    func kickDelivered(after milliseconds: Int64) {
        kickDelivery.recordMilliseconds(milliseconds)
        NodeCounters.shared.kickDelivery.record(.milliseconds(milliseconds))
    }

    func connectAccepted() {
        connectsAccepted.increment()
        NodeCounters.shared.connectsAccepted.add()
    }

    func connectRefused(_ reason: String) {
        Counter(label: "parley_socket_connects_total", dimensions: [("outcome", "refused"), ("reason", reason)]).increment()
        NodeCounters.shared.connectsRefused(reason).add()
    }

    /// Kicks this node published are counted where it publishes them (``AccountChannel``).
    static func kickSent(_ reason: SocketCloseReason) {
        Counter(label: "parley_kicks_sent_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    func kickReceived(_ reason: SocketCloseReason) {
        Counter(label: "parley_kicks_received_total", dimensions: [("reason", reason.rawValue)]).increment()
        NodeCounters.shared.kicks.add()
    }

    /// A chat message stored by `POST /chat/send` on this node.
    static func messageStored() {
        Counter(label: "parley_messages_stored_total").increment()
        NodeCounters.shared.messages.add()
    }

    /// A connection closed before its first request: `per_address` (over
    /// `PARLEY_CONNECTIONS_PER_ADDRESS`) or `head_timeout` (no request head in time).
    static func connectionDropped(_ reason: String) {
        Counter(label: "parley_connections_dropped_total", dimensions: [("reason", reason)]).increment()
    }

    static func redisError(_ operation: String) {
        Counter(label: "parley_redis_errors_total", dimensions: [("operation", operation)]).increment()
        NodeCounters.shared.redisErrors.add()
    }

    static func httpRequest(route: String, method: String, status: Int, duration: Duration) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Counter(label: "parley_http_requests_total", dimensions: dimensions).increment()
        Timer(label: "parley_http_request_duration_seconds", dimensions: dimensions).recordNanoseconds(duration.nanoseconds)
        let group = NodeCounters.shared.httpRequests(NodeCounters.routeGroup(route))
        group.requests.add()
        group.latency.record(duration)
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
