import Logging
import PostgresNIO
import ServiceLifecycle

/// Deletes messages older than `PARLEY_HISTORY_DAYS`, with their inbox entries (a cascade), in
/// batches: every node runs it, and a transaction-level advisory lock lets one node at a time
/// delete a batch, so no two nodes fight over the same rows and no transaction holds many locks.
struct HistoryRetention: Service {
    let database: Database
    let days: Int
    let logger: Logger
    /// How often a pass starts.
    var period: Duration = .seconds(600)
    static let batchSize = 1_000
    /// Arbitrary but fixed: Parley's retention among other advisory locks (the migrator has its own).
    static let advisoryLockKey: Int64 = 0x7061_726c_6568

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let deleted = try await prune()
                if deleted > 0 { logger.info("Old messages deleted", metadata: ["messages": "\(deleted)", "days": "\(days)"]) }
            } catch {
                logger.warning("Cannot delete old messages; trying again later", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
        }
    }

    /// One pass: batches until none is full or another node holds the lock. Returns the messages deleted.
    func prune() async throws -> Int {
        var total = 0
        while !Task.isShuttingDownGracefully {
            let deleted = try await database.transaction { [days] connection in
                let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
                for try await isLocked in locked.decode(Bool.self) where !isLocked { return 0 }
                let rows = try await connection.query(
                    """
                    WITH gone AS (
                        DELETE FROM messages WHERE id IN (
                            SELECT id FROM messages WHERE created_at < now() - make_interval(days => \(days)::int)
                            ORDER BY created_at LIMIT \(Self.batchSize)
                        )
                        RETURNING 1
                    )
                    SELECT count(*)::bigint FROM gone
                    """,
                    logger: logger
                )
                for try await count in rows.decode(Int.self) { return count }
                return 0
            }
            total += deleted
            if deleted < Self.batchSize { break }
        }
        return total
    }
}
