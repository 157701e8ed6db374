import Foundation

/// Whether PostgreSQL and Redis answered the node's last probes, and the events their changes make
/// (docs/api.md §9): a dependency that stops answering opens an outage (`…_down`, at the first
/// failed probe), one that answers again closes it (`…_up`).
struct OutageWatch: Sendable {
    enum Dependency: String, Sendable, CaseIterable {
        case postgresql
        case redis

        var down: ClusterEvent.Kind { self == .redis ? .redisDown : .postgresqlDown }
        var up: ClusterEvent.Kind { self == .redis ? .redisUp : .postgresqlUp }
    }

    /// Events written at most, waiting for Redis: older ones are dropped past this.
    static let maximumPending = 16

    private var downSince: [Dependency: Date] = [:]
    /// Events not written yet: every event waits here until Redis takes it, so an outage of Redis
    /// itself is written once Redis is back.
    private(set) var pending: [ClusterEvent] = []

    /// Feeds one probe's result.
    mutating func observe(_ dependency: Dependency, answered: Bool, at time: Date, node: String) {
        switch (downSince[dependency], answered) {
        case (nil, false):
            downSince[dependency] = time
            enqueue(ClusterEvent(at: time, kind: dependency.down, node: node))
        case (let since?, true):
            downSince[dependency] = nil
            let seconds = Int(time.timeIntervalSince(since).rounded())
            enqueue(ClusterEvent(at: time, kind: dependency.up, node: node, detail: "down for about \(seconds) s"))
        default:
            break
        }
    }

    /// The first `count` pending events were written.
    mutating func written(_ count: Int) {
        pending.removeFirst(min(count, pending.count))
    }

    private mutating func enqueue(_ event: ClusterEvent) {
        pending.append(event)
        if pending.count > Self.maximumPending { pending.removeFirst(pending.count - Self.maximumPending) }
    }
}
