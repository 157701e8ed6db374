import Logging
import NIORedis

/// The cluster's event feed: a Redis stream (`{p}events`) capped at about ``capacity`` entries
/// with `XADD … MAXLEN ~`, read newest first (docs/api.md §9).
struct EventFeed: Sendable {
    static let capacity = 1_000

    let redis: RedisClient
    let keys: ClusterKeys
    let logger: Logger

    /// Writes `event`, throwing when Redis does not take it.
    func write(_ event: ClusterEvent) async throws {
        _ = try await redis.send(["XADD", keys.events, "MAXLEN", "~", String(Self.capacity), "*"] + event.fields)
    }

    /// Writes `event`; when Redis does not take it, the event is dropped with a log line — the
    /// feed is for people, and nothing waits for it.
    func record(_ event: ClusterEvent) async {
        do {
            try await write(event)
        } catch {
            NodeMetrics.redisError("events")
            logger.warning("Cannot record an event", metadata: ["event": "\(event.kind.rawValue)", "error": "\(error)"])
        }
    }

    /// At most `count` events, newest first, older than the event `before` when given.
    func recent(count: Int, before: String?) async throws -> [ClusterEvent] {
        let end = before.map { "(\($0)" } ?? "+"
        guard case .array(let entries) = try await redis.send("XREVRANGE", keys.events, end, "-", "COUNT", String(count)) else {
            return []
        }
        return entries.compactMap { entry in
            guard case .array(let parts) = entry, parts.count == 2, let id = parts[0].string, case .array(let fields) = parts[1] else {
                return nil
            }
            return ClusterEvent(id: id, fields: fields.compactMap(\.string))
        }
    }
}
