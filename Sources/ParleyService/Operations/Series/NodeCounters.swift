/// The node's counts for its own charts (docs/api.md §9), fed by ``NodeMetrics`` from the call
/// sites of the `/metrics` series: atomics only on the connect and send paths, read every
/// `PARLEY_SERIES_INTERVAL` by ``SeriesRecorder``.
///
/// One per process, like the swift-metrics registry beside it: a process runs one node.
final class NodeCounters: Sendable {
    static let shared = NodeCounters()

    /// Open sockets, signed in or not.
    let sockets = AtomicCounter()
    let connectsAccepted = AtomicCounter()
    let connectsRefused = NamedCounters { AtomicCounter() }
    /// Sockets closed here because their account was taken over, signed out or disabled.
    let kicks = AtomicCounter()
    let messages = AtomicCounter()
    let redisErrors = AtomicCounter()
    /// The longest heartbeat delay since the last reading, in microseconds.
    let heartbeatLagMaximum = AtomicCounter()
    let kickDelivery = LatencyRecorder()
    let httpRequests = NamedCounters { HTTPGroupCounters() }

    /// What the counters hold now; the heartbeat maximum starts again from 0.
    func read() -> CounterReading {
        CounterReading(
            sockets: sockets.current,
            connectsAccepted: connectsAccepted.current,
            connectsRefused: connectsRefused.all.mapValues(\.current),
            kicks: kicks.current,
            messages: messages.current,
            redisErrors: redisErrors.current,
            heartbeatLagMicroseconds: heartbeatLagMaximum.take(),
            kickDelivery: kickDelivery.reading(),
            http: httpRequests.all.mapValues { CounterReading.HTTPGroup(requests: $0.requests.current, latency: $0.latency.reading()) }
        )
    }

    /// The group of a route pattern: its first segment (`friend` for `/friend/read/:id`).
    static func routeGroup(_ route: String) -> String {
        route.split(separator: "/", maxSplits: 1).first.map(String.init) ?? "/"
    }
}

/// The requests of one route group and their durations.
final class HTTPGroupCounters: Sendable {
    let requests = AtomicCounter()
    let latency = LatencyRecorder()
}

/// The cumulative counts at one moment, plus the node's gauges when ``SeriesRecorder`` adds them.
struct CounterReading: Sendable, Equatable {
    struct HTTPGroup: Sendable, Equatable {
        var requests: Int
        var latency: LatencyBuckets
    }

    var sockets = 0
    var connectsAccepted = 0
    var connectsRefused: [String: Int] = [:]
    var kicks = 0
    var messages = 0
    var redisErrors = 0
    var heartbeatLagMicroseconds = 0
    var kickDelivery = LatencyBuckets()
    var http: [String: HTTPGroup] = [:]
    /// Gauges read beside the counters.
    var accountsOnline = 0
    var postgresInFlight = 0
    var postgresPoolSize = 0
    var process = ProcessUsage.Reading(residentBytes: 0, cpuSeconds: 0)
}
