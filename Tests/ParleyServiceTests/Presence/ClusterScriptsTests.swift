import Foundation
import NIOCore
import NIORedis
import Testing
@testable import ParleyService

/// The cluster scripts against the real Redis, each under a prefix of its own.
@Suite("Cluster scripts")
struct ClusterScriptsTests {
    /// Nodes sharing one fresh prefix, their epoch installed, and a subscriber to hear what they publish.
    private struct Cluster: Sendable {
        let redis: RedisClient
        let subscriber: RedisSubscriber
        let keys = ClusterKeys(prefix: "scripts-\(UUID().uuidString.prefix(8)):")
        let epochs: ClusterEpochStore

        /// The cluster as node `id` sees it.
        func node(_ id: String) -> ClusterPresence {
            ClusterPresence(redis: redis, keys: keys, nodeID: id, presenceTTL: .seconds(10), epochs: epochs)
        }

        /// The next message on `channel`, which must be subscribed.
        func nextMessage(on channel: String) async -> ByteBuffer? {
            for await message in subscriber.messages where message.channel == channel { return message.payload }
            return nil
        }
    }

    /// Runs `body` with a running client and subscriber.
    private func withRedis(_ body: @Sendable (RedisClient, RedisSubscriber) async throws -> Void) async throws {
        let configuration = try RedisConfiguration(url: TestEnvironment.redisURL)
        let redis = RedisClient(configuration: configuration, logger: TestEnvironment.logger)
        let subscriber = RedisSubscriber(configuration: configuration, publisher: redis, logger: TestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            group.addTask { try await subscriber.run() }
            defer { group.cancelAll() }
            try await body(redis, subscriber)
        }
    }

    private func withCluster(_ body: @Sendable (Cluster) async throws -> Void) async throws {
        try await withTestDatabase { database in
            try await withRedis { redis, subscriber in
                let cluster = Cluster(redis: redis, subscriber: subscriber, epochs: ClusterEpochStore(database: database))
                try await cluster.node("n1").epochs.installNewEpoch()
                try await body(cluster)
            }
        }
    }

    /// The epoch key as a replica that took over holds it: installed in another Redis process.
    private func replaceRedis(under cluster: Cluster) async throws {
        let installed = try await cluster.redis.send("GET", cluster.keys.prefix + "epoch").string ?? "0|0"
        let epoch = installed.split(separator: "|")[0]
        _ = try await cluster.redis.send("SET", cluster.keys.prefix + "epoch", "\(epoch)|0123456789abcdef")
    }

    /// Redis's time, as the heartbeat reads it.
    private func redisMilliseconds(_ redis: RedisClient) async throws -> Int64 {
        guard case .array(let parts) = try await redis.send("TIME"), let seconds = parts[0].string.flatMap({ Int64($0) }),
            let microseconds = parts[1].string.flatMap({ Int64($0) })
        else { throw UnexpectedReply(script: "TIME", reply: .null) }
        return seconds * 1000 + microseconds / 1000
    }

    /// Issue 13, hole 2: a claim or supersede that reaches Redis after its caller gave up must do
    /// nothing — the claim would leave a presence naming a closed socket and kick the account's
    /// other socket, the supersede would kick a newer device.
    @Test func scriptsThatArriveAfterTheirDeadlineDoNothing() async throws {
        try await withCluster { cluster in
            let presence = cluster.node("n1")
            // A clock a minute behind Redis's: every deadline is already past when the script runs.
            let now = Date()
            presence.clock.observe(redisMilliseconds: try await redisMilliseconds(cluster.redis) - 60_000, sent: now, received: now)
            await #expect(throws: RedisError.self) { try await presence.accounts.claim(userID: 7, connection: 1) }
            await #expect(throws: RedisError.self) { try await presence.accounts.supersede(userID: 7, reason: .kicked) }
            let keys = try await cluster.redis.send("KEYS", cluster.keys.prefix + "*")
            #expect(keys == .array([.bulkString(ByteBuffer(string: cluster.keys.prefix + "epoch"))]), "nothing written")

            // With Redis's clock known, the same calls go through.
            presence.clock.observe(redisMilliseconds: try await redisMilliseconds(cluster.redis), sent: Date(), received: Date())
            let claim = try await presence.accounts.claim(userID: 7, connection: 1)
            #expect(try await presence.accounts.supersede(userID: 7, reason: .kicked) > claim.generation)
        }
    }

    /// Issue 13, hole 7: a Redis that restarted or was replaced (a replica whose clock is behind, which
    /// lost the newest generations) must not hand out a generation lower than one handed out before.
    @Test func aReplacedRedisHandsOutGenerationsOnlyAfterAHigherEpoch() async throws {
        try await withCluster { cluster in
            let presence = cluster.node("n1")
            let before = try await presence.accounts.claim(userID: 7, connection: 1).generation
            try await replaceRedis(under: cluster)
            _ = try await cluster.redis.send("DEL", cluster.keys.generation(7))  // lost with the failover
            #expect(try await presence.registry.heartbeat(card: Self.card).hasEpoch == false)
            await #expect(throws: RedisError.self) {
                try await cluster.redis.evaluate(
                    ClusterScripts.supersede, keys: [cluster.keys.presence(7), cluster.keys.generation(7), "c", "s"],
                    arguments: [cluster.keys.prefix, "7", "kicked", "30", "0"]
                )
            }

            // The next claim installs a higher epoch first: 10^12 µs (11.6 days) of clock ahead.
            let after = try await presence.accounts.claim(userID: 7, connection: 2).generation
            #expect(after - before >= 1_000_000_000_000)
            #expect(try await presence.registry.heartbeat(card: Self.card).hasEpoch)
        }
    }

    /// Nodes finding Redis without an epoch at once (a storm of claims after a restart) share an
    /// installation or each bump; either way Redis ends with the highest epoch any of them got.
    @Test func nodesFindingRedisWithoutAnEpochAtOnceLeaveTheHighest() async throws {
        try await withCluster { cluster in
            let presence = cluster.node("n1")
            try await replaceRedis(under: cluster)
            let installed = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<20 { group.addTask { try await presence.epochs.installNewEpoch() } }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            let inForce = try await cluster.redis.send("GET", cluster.keys.prefix + "epoch").string?.split(separator: "|").first
            #expect(inForce.flatMap { Int64($0) } == installed.max())
            #expect(try await presence.registry.heartbeat(card: Self.card).hasEpoch)
        }
    }

    /// The one writer of a supersession (Lua) and its one reader (Swift) agree, for every reason,
    /// with and without a publish time.
    @Test func aSupersessionReadsBackAsTheLuaFunctionWroteIt() async throws {
        let encode = RedisScript(
            ClusterScripts.supersessionWire + "\nreturn supersession(ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]))"
        )
        try await withRedis { redis, _ in
            for reason in SocketCloseReason.allCases {
                for sent: Int64? in [nil, 1_764_540_000_123] {
                    let supersession = Supersession(userID: 2_147_483_647, generation: 1_769_540_000_123_456, reason: reason, sent: sent)
                    let wire = try await redis.evaluate(
                        encode,
                        arguments: [String(supersession.userID), String(supersession.generation), reason.rawValue, sent.map(String.init) ?? ""]
                    )
                    #expect(wire.buffer.flatMap(Supersession.init(wire:)) == supersession)
                }
            }
        }
    }

    /// One script call claims the accounts of the sockets that connected together: each gets its own
    /// generation, presence and kick, and its own pending delivery request, answered in order.
    @Test func aBatchOfClaimsTakesEachAccountAsASingleClaimWould() async throws {
        try await withCluster { cluster in
            let (n1, n2) = (cluster.node("n1"), cluster.node("n2"))
            let held = try await n1.accounts.claim(userID: 7, connection: 1).generation
            try await n2.accounts.requestDelivery(to: 9)
            let claims = try await n2.accounts.claim([(7, 2), (8, 3), (9, 4)])
            #expect(claims.map(\.tookOver) == [true, false, false])
            #expect(claims.map(\.deliveryRequested) == [false, false, true])
            #expect(claims[0].generation > held)
            for (userID, claim) in zip([7, 8, 9], claims) {
                let connection = userID - 5
                let entry = try await cluster.redis.send("GET", cluster.keys.presence(userID)).string
                #expect(entry?.hasPrefix("\(claim.generation)|n2|\(connection)|") == true)
            }
            let inbox = try await n1.registry.heartbeat(card: Self.card).supersessions
            #expect(inbox.map(\.userID) == [7], "only the account taken from n1 is kicked there")
            #expect(try await cluster.redis.send("SCARD", cluster.keys.nodeUsers("n2")).int == 3)
        }
    }

    /// A claim that takes the account from another node's socket publishes the kick on the account's
    /// channel, and queues the same supersession in that node's inbox in case the message is lost.
    @Test(.timeLimit(.minutes(1))) func aClaimPublishesItsKickAndQueuesItForThePreviousOwner() async throws {
        try await withCluster { cluster in
            let (n1, n2) = (cluster.node("n1"), cluster.node("n2"))
            _ = try await n1.accounts.claim(userID: 7, connection: 1)
            try await cluster.subscriber.subscribe([cluster.keys.userChannel(7)])
            let claim = try await n2.accounts.claim(userID: 7, connection: 2)

            let published = await cluster.nextMessage(on: cluster.keys.userChannel(7))
            let kick = try #require(published.flatMap(Supersession.init(wire:)))
            #expect(kick == Supersession(userID: 7, generation: claim.generation, reason: .kicked, sent: kick.sent))
            #expect(try abs(#require(kick.sent) - (await redisMilliseconds(cluster.redis))) < 10_000)
            #expect(try await n1.registry.heartbeat(card: Self.card).supersessions == [kick])
            #expect(try await n2.registry.heartbeat(card: Self.card).supersessions.isEmpty, "a node never kicks itself by inbox")
        }
    }

    /// A login, logout or disable on any node publishes its supersession on the account's channel and
    /// queues the same in the inbox of the node holding the account's socket.
    @Test(.timeLimit(.minutes(1))) func aSupersedePublishesItsKickAndQueuesItForTheOwner() async throws {
        try await withCluster { cluster in
            let (n1, n2) = (cluster.node("n1"), cluster.node("n2"))
            _ = try await n1.accounts.claim(userID: 7, connection: 1)
            try await cluster.subscriber.subscribe([cluster.keys.userChannel(7)])
            let generation = try await n2.accounts.supersede(userID: 7, reason: .loggedOut)

            let published = await cluster.nextMessage(on: cluster.keys.userChannel(7))
            let kick = try #require(published.flatMap(Supersession.init(wire:)))
            #expect(kick == Supersession(userID: 7, generation: generation, reason: .loggedOut, sent: kick.sent))
            #expect(kick.sent != nil)
            #expect(try await n1.registry.heartbeat(card: Self.card).supersessions == [kick])
        }
    }

    /// A release names the entry it removes — by generation, or by node and connection for a claim
    /// whose answer never came — and never removes another socket's.
    @Test func aReleaseRemovesOnlyTheEntryItNames() async throws {
        try await withCluster { cluster in
            let (n1, n2) = (cluster.node("n1"), cluster.node("n2"))
            let presence = cluster.keys.presence(7)
            let first = try await n1.accounts.claim(userID: 7, connection: 1).generation
            try await n1.accounts.release(PresenceRelease(userID: 7, entry: .claim(connection: 2)))
            try await n2.accounts.release(PresenceRelease(userID: 7, entry: .claim(connection: 1)))
            try await n1.accounts.release(PresenceRelease(userID: 7, entry: .generation(first - 1)))
            #expect(try await cluster.redis.send("EXISTS", presence).int == 1, "another connection, node or generation")
            try await n1.accounts.release(PresenceRelease(userID: 7, entry: .claim(connection: 1)))
            #expect(try await cluster.redis.send("EXISTS", presence).int == 0)

            let second = try await n1.accounts.claim(userID: 7, connection: 3).generation
            try await n1.accounts.release(PresenceRelease(userID: 7, entry: .generation(second)))
            #expect(try await cluster.redis.send("EXISTS", presence).int == 0)
            #expect(try await cluster.redis.send("SISMEMBER", cluster.keys.nodeUsers("n1"), "7").int == 0)
        }
    }

    /// Issue 13, hole 1: a node putting its sockets back after Redis forgot it hears which of them a
    /// newer generation superseded meanwhile — a socket elsewhere (the presence) or a disable (the
    /// generation key) — and with what reason; the others are restored.
    @Test func restoreAnswersTheSupersessionsMadeWhileRedisForgotTheNode() async throws {
        try await withCluster { cluster in
            let (n1, n2) = (cluster.node("n1"), cluster.node("n2"))
            var sockets: [(connection: UInt64, userID: Int, generation: Int64, since: Int64)] = []
            for userID in [7, 8, 9] {
                let connection = UInt64(userID)
                sockets.append((connection, userID, try await n1.accounts.claim(userID: userID, connection: connection).generation, 0))
            }
            let elsewhere = try await n2.accounts.claim(userID: 7, connection: 70).generation
            _ = try await cluster.redis.send("DEL", cluster.keys.presence(8))
            let disabled = try await n2.accounts.supersede(userID: 8, reason: .userDisabled)

            #expect(
                try await n1.registry.restore(sockets) == [
                    Supersession(userID: 7, generation: elsewhere, reason: .kicked),
                    Supersession(userID: 8, generation: disabled, reason: .userDisabled),
                ]
            )
            #expect(try await cluster.redis.send("GET", cluster.keys.presence(9)).string?.hasPrefix("\(sockets[2].generation)|n1|") == true)
        }
    }

    @Test func theEpochOnlyGrowsInPostgreSQL() async throws {
        try await withTestDatabase { database in
            let store = ClusterEpochStore(database: database)
            let first = try await store.bump()
            #expect(try await store.bump() > first)
        }
    }

    /// A heartbeat tells whether Redis knew the node (its card), registers it, and hands over its
    /// inbox once.
    @Test func aHeartbeatRegistersTheNodeAndDrainsItsInbox() async throws {
        try await withCluster { cluster in
            let n1 = cluster.node("n1")
            let first = try await n1.registry.heartbeat(card: Self.card)
            #expect(!first.wasRegistered && first.hasEpoch)
            #expect(try await cluster.redis.send("ZSCORE", cluster.keys.nodes, "n1").string.flatMap { Int64($0) } == first.redisTimeMilliseconds)
            let ttl = try #require(try await cluster.redis.send("TTL", cluster.keys.node("n1")).int)
            #expect((1...10).contains(ttl), "the card expires after the presence TTL")
            _ = try await cluster.redis.send("RPUSH", cluster.keys.inbox("n1"), "supersede|7|5|kicked|")
            let second = try await n1.registry.heartbeat(card: Self.card)
            #expect(second.wasRegistered)
            #expect(second.supersessions == [Supersession(userID: 7, generation: 5, reason: .kicked, sent: nil)])
            #expect(try await n1.registry.heartbeat(card: Self.card).supersessions.isEmpty, "drained")
        }
    }

    /// A dead node's presence is cleared only once its card expired, only where it still names that
    /// node, and then the node leaves the registry.
    @Test func reapingClearsOnlyTheDeadNodesEntries() async throws {
        try await withCluster { cluster in
            let (n1, n2) = (cluster.node("n1"), cluster.node("n2"))
            _ = try await n2.registry.heartbeat(card: Self.card)
            _ = try await n2.accounts.claim(userID: 7, connection: 1)
            _ = try await n2.accounts.claim(userID: 8, connection: 2)
            _ = try await n1.accounts.claim(userID: 8, connection: 3)  // 8 moved to n1 since
            let reap = { try await cluster.redis.evaluate(ClusterScripts.reap, arguments: [cluster.keys.prefix, "n2", "1000"]).int }
            #expect(try await reap() == -1, "refused while the card exists")
            _ = try await cluster.redis.send("DEL", cluster.keys.node("n2"))
            #expect(try await reap() == 2)
            #expect(try await cluster.redis.send("EXISTS", cluster.keys.presence(7)).int == 0)
            #expect(try await cluster.redis.send("GET", cluster.keys.presence(8)).string?.contains("|n1|") == true)
            #expect(try await cluster.redis.send("ZSCORE", cluster.keys.nodes, "n2") == .null)
        }
    }

    /// A process starting under the id of one that died clears the entries that process left, and
    /// keeps those made since it started.
    @Test func aRestartedNodeClearsWhatItsPreviousProcessLeft() async throws {
        try await withCluster { cluster in
            let n1 = cluster.node("n1")
            _ = try await n1.accounts.claim(userID: 7, connection: 1)
            let started = try await redisMilliseconds(cluster.redis) + 1
            try await Task.sleep(for: .milliseconds(5))
            _ = try await n1.accounts.claim(userID: 8, connection: 2)
            #expect(try await n1.registry.clearPreviousProcess(started: started) == 1)
            #expect(try await cluster.redis.send("EXISTS", cluster.keys.presence(7)).int == 0)
            #expect(try await cluster.redis.send("EXISTS", cluster.keys.presence(8)).int == 1)
            #expect(try await cluster.redis.send("SMEMBERS", cluster.keys.nodeUsers("n1")) == .array([.bulkString(ByteBuffer(string: "8"))]))
        }
    }

    /// A `getmessage` with no live socket leaves its request for a minute, for the claim to take,
    /// and nudges the account's channel.
    @Test(.timeLimit(.minutes(1))) func aDeliveryRequestIsKeptForAMinuteAndPublished() async throws {
        try await withCluster { cluster in
            let n1 = cluster.node("n1")
            try await cluster.subscriber.subscribe([cluster.keys.userChannel(7)])
            try await n1.accounts.requestDelivery(to: 7)
            let published = try #require(await cluster.nextMessage(on: cluster.keys.userChannel(7)))
            #expect(try JSONDecoder().decode(UserEvent.self, from: Data(buffer: published)) == UserEvent(type: .deliver))
            let ttl = try #require(try await cluster.redis.send("TTL", cluster.keys.deliveryRequest(7)).int)
            #expect((1...60).contains(ttl))
            #expect(try await n1.accounts.claim(userID: 7, connection: 1).deliveryRequested, "the claim takes it")
        }
    }

    private static let card = NodeCard(
        id: "n1", address: "127.0.0.1:1", version: "test", startedAt: Date(), lastSeen: Date(), connections: 0, draining: false
    )
}

extension AccountChannel {
    /// One socket's claim, as the gateway's batches make it.
    func claim(userID: Int, connection: UInt64) async throws -> Claim {
        try await claim([(userID, connection)])[0]
    }
}
