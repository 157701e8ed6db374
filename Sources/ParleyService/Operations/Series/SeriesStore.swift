import Foundation
import NIORedis

/// The nodes' samples in Redis, so that any node answers `GET /admin/series` for the cluster
/// without calling the others (docs/api.md §9).
///
/// | key | type | holds |
/// |---|---|---|
/// | `{p}series` | sorted set | node ids by the time of their last sample (ms) |
/// | `{p}series:{node}` | sorted set | the node's samples as JSON, by their time; the last hour, expiring an hour after the last |
///
/// Both are trimmed on every write, by age and by count: their size is fixed by the window.
struct SeriesStore: Sendable {
    let redis: RedisClient
    let keys: ClusterKeys
    /// How far back samples are kept.
    let window: Duration
    /// Samples a node keeps at most (the window over the interval).
    let capacity: Int

    /// Adds samples of `nodeID` (one each interval; a whole ring after Redis lost them) and trims
    /// its set; answers how many samples Redis now holds for it.
    func add(_ samples: [Sample], of nodeID: String) async throws -> Int {
        guard let newest = samples.last?.t else { return 0 }
        var members: [any RESPArgument] = []
        for sample in samples {
            members += [String(sample.t), try sample.jsonText()]
        }
        let windowMilliseconds = Int(window.components.seconds) * 1000
        let held = try await redis.evaluate(
            Self.addScript,
            keys: [keys.series(nodeID)],
            arguments: [String(newest - Int64(windowMilliseconds)), String(capacity), String(windowMilliseconds)] + members
        )
        _ = try await redis.send("ZADD", keys.seriesNodes, String(newest), nodeID)
        _ = try await redis.send("ZREMRANGEBYSCORE", keys.seriesNodes, "-inf", "(\(newest - Int64(windowMilliseconds))")
        return Int(held.int ?? 0)
    }

    /// Adds — replacing the sample of the same time, so that a ring written again over what Redis
    /// kept (a write that timed out yet was applied) never doubles a time — trims by age then
    /// count, expires the set a window after its newest sample, counts.
    /// ARGV: oldest time kept, capacity, window (ms), then score/member pairs.
    static let addScript = RedisScript(
        """
        for i = 4, #ARGV, 2 do
            redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])
            redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return redis.call('ZCARD', KEYS[1])
        """
    )

    /// Every node's samples taken after `since` (epoch ms), oldest first, of the nodes that took one
    /// within the window; only `node`'s when given.
    func samples(since: Int64?, node: String?, now: Date) async throws -> [(node: String, samples: [Sample])] {
        let oldest = Int64(now.timeIntervalSince1970 * 1000) - Int64(window.components.seconds) * 1000
        guard case .array(let ids) = try await redis.send("ZRANGEBYSCORE", keys.seriesNodes, String(oldest), "+inf") else { return [] }
        let decoder = JSONDecoder()
        var answer: [(node: String, samples: [Sample])] = []
        for id in ids.compactMap(\.string).sorted() where node == nil || node == id {
            let from = since.map { "(\(max($0, oldest))" } ?? String(oldest)
            guard case .array(let members) = try await redis.send("ZRANGEBYSCORE", keys.series(id), from, "+inf") else { continue }
            answer.append((id, members.compactMap { $0.buffer.flatMap { try? decoder.decode(Sample.self, from: Data(buffer: $0)) } }))
        }
        return answer
    }
}
