import Foundation
import NIOCore
import NIORedis

/// The cluster's per-account side in Redis: which socket holds an account (its presence and
/// generation), and what reaches that socket on whatever node it is — supersessions, pushed frames,
/// delivery nudges, on the account's channel and in its node's inbox.
struct AccountChannel: Sendable {
    let redis: RedisClient
    let keys: ClusterKeys
    let nodeID: String
    /// Inbox entries outlive a few heartbeats of their node, then go.
    let inboxTTL: Int
    /// Redis's clock as the heartbeats see it, for the deadlines of scripts a caller may give up on.
    let clock: RedisClock
    /// Installs a new generation epoch when Redis has none.
    let epochs: EpochKeeper
    /// Revocations no node has heard of yet, for the heartbeat to announce.
    let sessionAnnouncements = SessionAnnouncements()

    init(redis: RedisClient, keys: ClusterKeys, nodeID: String, presenceTTL: Duration, clock: RedisClock, epochs: EpochKeeper) {
        self.redis = redis
        self.keys = keys
        self.nodeID = nodeID
        self.inboxTTL = Int(presenceTTL.components.seconds) * 3
        self.clock = clock
        self.epochs = epochs
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

    // MARK: Sockets

    struct Claim {
        var generation: Int64
        /// Another socket held the account (it is being kicked).
        var tookOver: Bool
        /// The client asked for its messages while this socket was connecting.
        var deliveryRequested: Bool
    }

    /// Makes each of this node's sockets `connection` its account's live socket, in one script call
    /// for all of them; the claims come back in the order of `sockets`.
    func claim(_ sockets: [(userID: Int, connection: UInt64)]) async throws -> [Claim] {
        let reply = try await withEpoch {
            try await redis.evaluate(
                ClusterScripts.claim,
                keys: [keys.nodeUsers(nodeID)]
                    + sockets.flatMap { socket in
                        [
                            keys.presence(socket.userID), keys.generation(socket.userID), keys.userChannel(socket.userID),
                            keys.deliveryRequest(socket.userID),
                        ]
                    },
                arguments: [
                    keys.prefix, nodeID, String(inboxTTL), String(clock.deadline(for: redis.configuration.commandTimeout)),
                ] + sockets.flatMap { [String($0.userID), String($0.connection)] }
            )
        }
        guard case .array(let parts) = reply, parts.count == sockets.count * 3 else {
            throw UnexpectedReply(script: "claim", reply: reply)
        }
        return try stride(from: 0, to: parts.count, by: 3).map { start in
            guard let generation = parts[start].int, let tookOver = parts[start + 1].int, let requested = parts[start + 2].int else {
                throw UnexpectedReply(script: "claim", reply: reply)
            }
            return Claim(generation: generation, tookOver: tookOver == 1, deliveryRequested: requested == 1)
        }
    }

    /// Closes every socket of the account, wherever it is, with `reason`, and has every node forget
    /// its cached session; returns the generation.
    /// - Parameter timeout: how long to wait for Redis (the client's default when `nil`).
    @discardableResult
    func supersede(userID: Int, reason: SocketCloseReason, timeout: TimeAmount? = nil) async throws -> Int64 {
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
    func announceSessionsChangedLater(userID: Int) {
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

    /// Removes the account's presence if it is still the entry `release` names.
    func release(_ release: PresenceRelease) async throws {
        let (generation, connection) =
            switch release.entry {
            case .generation(let generation): (String(generation), "")
            case .claim(let connection): ("", String(connection))
            }
        try await redis.evaluate(
            ClusterScripts.release,
            keys: [keys.presence(release.userID), keys.nodeUsers(nodeID)],
            arguments: [generation, nodeID, String(release.userID), connection]
        )
    }

    // MARK: Events

    /// Sends `frame` to the account's live socket, on whatever node holds it.
    func push(_ frame: ServerFrame, to userID: Int) async throws {
        let event = try JSONWriter.encode(UserEvent.push(frame))
        // A push is advisory (the client also refreshes by itself): never hold a request long for it.
        try await redis.send(["PUBLISH", keys.userChannel(userID), String(decoding: event, as: UTF8.self)], timeout: .seconds(1))
    }

    /// Tells the node holding the account's socket that messages wait for it in PostgreSQL. If
    /// the event is lost they still wait there, for the next `getmessage`.
    func notifyDeliveries(to userID: Int) async throws {
        try await redis.send(["PUBLISH", keys.userChannel(userID), Self.deliverEvent], timeout: .seconds(1))
    }

    /// A `getmessage`: the waiting messages go to the account's socket now, or as soon as the
    /// socket that is connecting takes the account.
    func requestDelivery(to userID: Int) async throws {
        try await redis.evaluate(
            ClusterScripts.requestDelivery,
            keys: [keys.deliveryRequest(userID), keys.userChannel(userID)],
            arguments: [Self.deliverEvent],
            timeout: .seconds(1)
        )
    }

    private static let deliverEvent = String(decoding: try! JSONWriter.encode(UserEvent(type: .deliver)), as: UTF8.self)

    // MARK: Reading

    struct Presence: Sendable, Equatable {
        var node: String
        var since: Date
    }

    /// The node holding the account's live socket, if that node is alive.
    func presence(userID: Int) async throws -> Presence? {
        guard let value = try await redis.send("GET", keys.presence(userID)).string else { return nil }
        let fields = value.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 4, let since = Int64(fields[3]) else { return nil }
        let node = String(fields[1])
        guard try await redis.send("EXISTS", keys.node(node)).int == 1 else { return nil }
        return Presence(node: node, since: Date(timeIntervalSince1970: Double(since) / 1000))
    }
}
