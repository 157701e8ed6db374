import Foundation
import NIORedis
import Testing
@testable import ParleyService

/// The cluster scripts against the real Redis, each under a prefix of its own.
@Suite("Cluster scripts")
struct ClusterScriptsTests {
    /// Runs `body` with a running client and a presence under a fresh prefix.
    private func withPresence(_ body: @Sendable (ClusterPresence) async throws -> Void) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL), logger: TestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            let prefix = "scripts-\(UUID().uuidString.prefix(8)):"
            try await body(ClusterPresence(redis: redis, keys: ClusterKeys(prefix: prefix), nodeID: "n1", presenceTTL: .seconds(10)))
        }
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
        try await withPresence { presence in
            // A clock a minute behind Redis's: every deadline is already past when the script runs.
            let now = Date()
            presence.clock.observe(redisMilliseconds: try await redisMilliseconds(presence.redis) - 60_000, sent: now, received: now)
            await #expect(throws: RedisError.self) { try await presence.claim(userID: 7, connection: 1) }
            await #expect(throws: RedisError.self) { try await presence.supersede(userID: 7, reason: .kicked) }
            let keys = try await presence.redis.send("KEYS", presence.keys.prefix + "*")
            #expect(keys == .array([]), "nothing written, nothing kept")

            // With Redis's clock known, the same calls go through.
            presence.clock.observe(redisMilliseconds: try await redisMilliseconds(presence.redis), sent: Date(), received: Date())
            let claim = try await presence.claim(userID: 7, connection: 1)
            #expect(try await presence.supersede(userID: 7, reason: .kicked) > claim.generation)
        }
    }
}
