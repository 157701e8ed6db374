import Foundation
import NIORedis

/// The cluster's per-node side in Redis: the live nodes' cards, what each node holds, and the
/// clearing of what dead, restarted or departing nodes leave behind.
struct NodeRegistry: Sendable {
    let redis: RedisClient
    let keys: ClusterKeys
    let nodeID: String
    let presenceTTL: Duration
    /// Redis's clock, set from the time every heartbeat reads.
    let clock: RedisClock

    struct Beat {
        /// `false` when Redis had forgotten the node: it restarted empty, or the node was away too long.
        var wasRegistered: Bool
        /// The supersessions queued in the node's inbox.
        var supersessions: [Supersession]
        var redisTimeMilliseconds: Int64
        /// `false` when this Redis has no generation epoch (it restarted or was replaced): no claim
        /// succeeds until ``EpochKeeper/installNewEpoch()``.
        var hasEpoch: Bool
    }

    func heartbeat(card: NodeCard) async throws -> Beat {
        let sent = Date()
        let reply = try await redis.evaluate(
            ClusterScripts.heartbeat,
            keys: [keys.node(nodeID), keys.nodes, keys.inbox(nodeID)],
            arguments: [
                nodeID, try card.jsonText(), String(presenceTTL.components.seconds),
                keys.prefix,
            ]
        )
        guard case .array(let parts) = reply, parts.count == 4, let existed = parts[0].int, case .array(let inbox) = parts[1],
            let now = parts[2].int, let hasEpoch = parts[3].int
        else { throw UnexpectedReply(script: "heartbeat", reply: reply) }
        clock.observe(redisMilliseconds: now, sent: sent, received: Date())
        return Beat(
            wasRegistered: existed == 1, supersessions: inbox.compactMap { $0.buffer.flatMap(Supersession.init(wire:)) },
            redisTimeMilliseconds: now, hasEpoch: hasEpoch == 1
        )
    }

    /// Puts back the presence of live sockets after Redis lost it, in batches; returns the sockets
    /// that a newer generation superseded meanwhile, which the node must close.
    func restore(_ sockets: [(connection: UInt64, userID: Int, generation: Int64, since: Int64)]) async throws -> [Supersession] {
        var superseded: [Supersession] = []
        for batch in sockets.chunked(by: 500) {
            var arguments: [any RESPArgument] = [keys.prefix, nodeID]
            for socket in batch {
                arguments += [String(socket.userID), String(socket.generation), String(socket.connection), String(socket.since)]
            }
            let reply = try await redis.evaluate(ClusterScripts.restore, keys: [keys.nodeUsers(nodeID)], arguments: arguments)
            guard case .array(let entries) = reply else { throw UnexpectedReply(script: "restore", reply: reply) }
            for entry in entries {
                guard let supersession = entry.buffer.flatMap(Supersession.init(wire:)) else {
                    throw UnexpectedReply(script: "restore", reply: reply)
                }
                superseded.append(supersession)
            }
        }
        return superseded
    }

    /// Clears the presence of nodes that stopped heartbeating (SIGKILL, a lost machine).
    func reapDeadNodes(now: Int64) async throws -> [String] {
        let cutoff = now - Int64(presenceTTL.components.seconds) * 1000
        let reply = try await redis.send("ZRANGEBYSCORE", keys.nodes, "-inf", "(\(cutoff)", "LIMIT", "0", "10")
        guard case .array(let candidates) = reply else { return [] }
        var reaped: [String] = []
        for case let node? in candidates.map(\.string) where node != nodeID {
            try await clearEntries(of: node)
            reaped.append(node)
        }
        return reaped
    }

    /// Clears the presence entries a previous process with this node's id left behind; `started` is
    /// this process's start on Redis's clock. Returns how many.
    func clearPreviousProcess(started: Int64) async throws -> Int {
        let reply = try await redis.evaluate(
            ClusterScripts.clearPreviousProcess,
            keys: [keys.nodeUsers(nodeID)],
            arguments: [keys.prefix, nodeID, String(started)]
        )
        return Int(reply.int ?? 0)
    }

    /// Says goodbye on a graceful shutdown: the node leaves the registry at once, with whatever
    /// presence still names it and its set of accounts (node ids change on every rollout, so
    /// nothing else would ever clear them).
    func deregister() async throws {
        _ = try await redis.send("DEL", keys.node(nodeID))
        try await clearEntries(of: nodeID)
    }

    /// Clears the presence entries still naming `node`, its set of accounts, its inbox and its place
    /// in the registry, in batches; the node's card must be gone.
    private func clearEntries(of node: String) async throws {
        while let looked = try await redis.evaluate(ClusterScripts.reap, arguments: [keys.prefix, node, "1000"]).int, looked > 0 {}
    }

    /// The cards of every live node.
    func nodes() async throws -> [NodeCard] {
        guard case .array(let ids) = try await redis.send("ZRANGE", keys.nodes, "0", "-1"), !ids.isEmpty else { return [] }
        let cardKeys: [any RESPArgument] = ids.compactMap(\.string).map { keys.node($0) }
        guard case .array(let cards) = try await redis.send(["MGET"] + cardKeys) else { return [] }
        return cards.compactMap { card in card.buffer.flatMap { try? NodeCard(stored: $0) } }
    }
}
