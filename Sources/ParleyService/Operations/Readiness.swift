import Logging
import NIORedis
import PostgresNIO
import Synchronization

/// Whether this node should get traffic: PostgreSQL and Redis answer and it is not draining.
final class Readiness: Sendable {
    /// A dependency that takes longer than this to answer counts as down.
    static let probeTimeout: Duration = .seconds(2)

    private let database: Database
    private let redis: RedisClient
    private let draining = Atomic<Bool>(false)

    init(database: Database, redis: RedisClient) {
        self.database = database
        self.redis = redis
    }

    /// From now on `/ready` answers 503, so the balancer stops sending new clients here.
    func startDraining() {
        draining.store(true, ordering: .relaxed)
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Why the node is not ready, or `nil` when it is.
    func unreadyReason() async -> String? {
        if isDraining { return "draining" }
        let answers = await dependenciesAnswer()
        if !answers.postgresql { return "postgresql" }
        if !answers.redis { return "redis" }
        return nil
    }

    /// Whether PostgreSQL and Redis each answer within ``probeTimeout``, probed together.
    func dependenciesAnswer() async -> (postgresql: Bool, redis: Bool) {
        async let databaseAnswers = answersInTime { [database] in _ = try await database.query("SELECT 1").collect() }
        async let redisAnswers = answersInTime { [redis] in _ = try await redis.send(["PING"], timeout: .seconds(2)) }
        return (await databaseAnswers, await redisAnswers)
    }

    private func answersInTime(_ probe: @escaping @Sendable () async throws -> Void) async -> Bool {
        (try? await withDeadline(Self.probeTimeout, probe)) != nil
    }
}
