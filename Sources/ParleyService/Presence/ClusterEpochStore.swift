import PostgresNIO

/// The cluster's generation epoch in PostgreSQL (`sql/0005_cluster_epoch.sql`): Redis may lose it,
/// this table never does.
struct ClusterEpochStore: Sendable {
    let database: Database

    /// The next epoch, for a Redis that lost or never had one. Nodes finding the same Redis empty
    /// each bump it; Redis keeps the highest, and every bump only moves generations further ahead.
    func bump() async throws -> Int64 {
        let rows = try await database.query("UPDATE cluster_epoch SET epoch = epoch + 1 RETURNING epoch")
        for try await epoch in rows.decode(Int64.self) { return epoch }
        throw MissingEpochRow()
    }

    struct MissingEpochRow: Error, CustomStringConvertible {
        var description: String { "cluster_epoch has no row: run parley migrate" }
    }
}
