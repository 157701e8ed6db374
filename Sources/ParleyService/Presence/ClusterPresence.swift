import Foundation
import Logging
import NIOCore
import NIORedis

/// Where the cluster's shared, rebuildable state lives: presence, generations, the node registry
/// and the per-account channels, in Redis. Nothing here is durable truth; lose it and every node
/// re-registers what it holds.
public struct ClusterPresence: Sendable {
    public let redis: RedisClient
    public let keys: ClusterKeys
    public let nodeID: String
    let presenceTTL: Duration
    /// Redis's clock as the heartbeats see it, for the deadlines of scripts a caller may give up on.
    let clock = RedisClock()
    /// Installs a new generation epoch when Redis has none.
    let epochs: EpochKeeper
    /// Revocations no node has heard of yet, for the heartbeat to announce.
    let sessionAnnouncements = SessionAnnouncements()

    public init(redis: RedisClient, keys: ClusterKeys, nodeID: String, presenceTTL: Duration, epochs: ClusterEpochStore) {
        self.redis = redis
        self.keys = keys
        self.nodeID = nodeID
        self.presenceTTL = presenceTTL
        self.epochs = EpochKeeper(store: epochs) { [redis, keys] epoch in
            let reply = try await redis.evaluate(ClusterScripts.installEpoch, arguments: [keys.prefix, String(epoch)])
            guard let installed = reply.int else { throw UnexpectedReply(script: "installEpoch", reply: reply) }
            return installed
        }
    }

    /// Runs a script that hands out a generation; when Redis has no epoch (it restarted or was
    /// replaced), installs a new one first and runs it again.
    private func withEpoch(_ script: () async throws -> RESPValue) async throws -> RESPValue {
        do {
            return try await script()
        } catch let error as RedisError where error.code == "NOEPOCH" {
            try await epochs.installNewEpoch()
            return try await script()
        }
    }

    /// Inbox entries outlive a few heartbeats of their node, then go.
    private var inboxTTL: Int { Int(presenceTTL.components.seconds) * 3 }

    // MARK: Sockets

    struct Claim {
        var generation: Int64
        /// Another socket held the account (it is being kicked).
        var tookOver: Bool
        /// The client asked for its messages while this socket was connecting.
        var deliveryRequested: Bool
    }

    /// Makes this node's socket `connection` the account's live socket.
    func claim(userID: Int, connection: UInt64) async throws -> Claim {
        let reply = try await withEpoch {
            try await redis.evaluate(
                ClusterScripts.claim,
                keys: [
                    keys.presence(userID), keys.generation(userID), keys.nodeUsers(nodeID), keys.userChannel(userID),
                    keys.deliveryRequest(userID),
                ],
                arguments: [
                    keys.prefix, String(userID), nodeID, String(connection), String(inboxTTL),
                    String(clock.deadline(for: redis.configuration.commandTimeout)),
                ]
            )
        }
        guard case .array(let parts) = reply, parts.count == 3, let generation = parts[0].int, let tookOver = parts[1].int,
            let requested = parts[2].int
        else { throw UnexpectedReply(script: "claim", reply: reply) }
        return Claim(generation: generation, tookOver: tookOver == 1, deliveryRequested: requested == 1)
    }

    /// Closes every socket of the account, wherever it is, with `reason`, and has every node forget
    /// its cached session; returns the generation.
    /// - Parameter timeout: how long to wait for Redis (the client's default when `nil`).
    @discardableResult
    public func supersede(userID: Int, reason: SocketCloseReason, timeout: TimeAmount? = nil) async throws -> Int64 {
        let reply = try await withEpoch {
            try await redis.evaluate(
                ClusterScripts.supersede,
                keys: [keys.presence(userID), keys.generation(userID), keys.userChannel(userID), keys.sessionsChannel],
                arguments: [
                    keys.prefix, String(userID), reason.rawValue, String(inboxTTL),
                    String(clock.deadline(for: timeout ?? redis.configuration.commandTimeout)),
                ],
                timeout: timeout
            )
        }
        guard let generation = reply.int else { throw UnexpectedReply(script: "supersede", reply: reply) }
        NodeMetrics.kickSent(reason)
        return generation
    }

    /// The account's sessions changed but Redis could not be told (a supersede failed): announce it
    /// once Redis answers again (``announcePendingSessionChanges()``).
    public func announceSessionsChangedLater(userID: Int) {
        sessionAnnouncements.remember(userID)
    }

    /// Announces on `{p}sessions` the revocations Redis missed; what still fails waits for the next
    /// call.
    func announcePendingSessionChanges() async {
        var pending = sessionAnnouncements.takeAll()
        while let userID = pending.popFirst() {
            do {
                try await redis.send(["PUBLISH", keys.sessionsChannel, String(userID)], timeout: .seconds(1))
            } catch {
                for userID in pending.union([userID]) { sessionAnnouncements.remember(userID) }
                return
            }
        }
    }

    /// Removes the account's presence if it still names `generation`.
    func release(userID: Int, generation: Int64) async throws {
        try await redis.evaluate(
            ClusterScripts.release,
            keys: [keys.presence(userID), keys.nodeUsers(nodeID)],
            arguments: [String(generation), nodeID, String(userID)]
        )
    }

    /// Sends `frame` to the account's live socket, on whatever node holds it.
    public func push(_ frame: ServerFrame, to userID: Int) async throws {
        let event = try JSONWriter.encode(UserEvent.push(frame))
        // A push is advisory (the client also refreshes by itself): never hold a request long for it.
        try await redis.send(["PUBLISH", keys.userChannel(userID), String(decoding: event, as: UTF8.self)], timeout: .seconds(1))
    }

    /// Tells the node holding the account's socket that messages wait for it in PostgreSQL. If
    /// the event is lost they still wait there, for the next `getmessage`.
    public func notifyDeliveries(to userID: Int) async throws {
        try await redis.send(["PUBLISH", keys.userChannel(userID), Self.deliverEvent], timeout: .seconds(1))
    }

    /// A `getmessage`: the waiting messages go to the account's socket now, or as soon as the
    /// socket that is connecting takes the account.
    public func requestDelivery(to userID: Int) async throws {
        try await redis.evaluate(
            ClusterScripts.requestDelivery,
            keys: [keys.deliveryRequest(userID), keys.userChannel(userID)],
            arguments: [Self.deliverEvent],
            timeout: .seconds(1)
        )
    }

    private static let deliverEvent = String(decoding: try! JSONWriter.encode(UserEvent(type: .deliver)), as: UTF8.self)

    // MARK: The node

    struct Beat {
        /// `false` when Redis had forgotten the node: it restarted empty, or the node was away too long.
        var wasRegistered: Bool
        var supersessions: [(userID: Int, generation: Int64, reason: SocketCloseReason)]
        var redisTimeMilliseconds: Int64
        /// `false` when this Redis has no generation epoch (it restarted or was replaced): no claim
        /// succeeds until ``installEpoch(_:)``.
        var hasEpoch: Bool
    }

    func heartbeat(card: NodeCard) async throws -> Beat {
        let sent = Date()
        let reply = try await redis.evaluate(
            ClusterScripts.heartbeat,
            keys: [keys.node(nodeID), keys.nodes, keys.inbox(nodeID)],
            arguments: [
                nodeID, String(decoding: try JSONEncoder().encode(card), as: UTF8.self), String(presenceTTL.components.seconds),
                keys.prefix,
            ]
        )
        guard case .array(let parts) = reply, parts.count == 4, let existed = parts[0].int, case .array(let inbox) = parts[1],
            let now = parts[2].int, let hasEpoch = parts[3].int
        else { throw UnexpectedReply(script: "heartbeat", reply: reply) }
        clock.observe(redisMilliseconds: now, sent: sent, received: Date())
        let supersessions = inbox.compactMap { entry -> (Int, Int64, SocketCloseReason)? in
            let fields = entry.string?.split(separator: "|") ?? []
            guard fields.count == 3, let user = Int(fields[0]), let generation = Int64(fields[1]),
                let reason = SocketCloseReason(rawValue: String(fields[2]))
            else { return nil }
            return (user, generation, reason)
        }
        return Beat(wasRegistered: existed == 1, supersessions: supersessions, redisTimeMilliseconds: now, hasEpoch: hasEpoch == 1)
    }


    /// A newer generation that closes this node's socket of the account.
    struct Supersession: Equatable {
        var userID: Int
        var generation: Int64
        var reason: SocketCloseReason
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
            for case .array(let fields) in entries {
                guard fields.count == 3, let user = fields[0].string.flatMap({ Int($0) }),
                    let generation = fields[1].string.flatMap({ Int64($0) }),
                    let reason = fields[2].string.flatMap(SocketCloseReason.init(rawValue:))
                else { throw UnexpectedReply(script: "restore", reply: reply) }
                superseded.append(Supersession(userID: user, generation: generation, reason: reason))
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

    // MARK: Reading

    public struct Presence: Sendable, Equatable {
        public var node: String
        public var since: Date
    }

    /// The node holding the account's live socket, if that node is alive.
    public func presence(userID: Int) async throws -> Presence? {
        guard let value = try await redis.send("GET", keys.presence(userID)).string else { return nil }
        let fields = value.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 4, let since = Int64(fields[3]) else { return nil }
        let node = String(fields[1])
        guard try await redis.send("EXISTS", keys.node(node)).int == 1 else { return nil }
        return Presence(node: node, since: Date(timeIntervalSince1970: Double(since) / 1000))
    }

    /// The cards of every live node.
    public func nodes() async throws -> [NodeCard] {
        guard case .array(let ids) = try await redis.send("ZRANGE", keys.nodes, "0", "-1"), !ids.isEmpty else { return [] }
        let cardKeys: [any RESPArgument] = ids.compactMap(\.string).map { keys.node($0) }
        guard case .array(let cards) = try await redis.send(["MGET"] + cardKeys) else { return [] }
        return cards.compactMap { card in
            card.buffer.flatMap { try? JSONDecoder().decode(NodeCard.self, from: Data(buffer: $0)) }
        }
    }
}

/// A node as the registry and the dashboard show it.
public struct NodeCard: Codable, Sendable, Equatable {
    public var id: String
    public var address: String
    public var version: String
    public var startedAt: Date
    public var lastSeen: Date
    public var connections: Int
    public var draining: Bool

    enum CodingKeys: String, CodingKey {
        case id, address, version, connections, draining
        case startedAt = "started_at"
        case lastSeen = "last_seen"
    }
}

struct UnexpectedReply: Error, CustomStringConvertible {
    let script: String
    let reply: RESPValue
    var description: String { "unexpected reply to \(script): \(reply)" }
}

extension Array {
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
