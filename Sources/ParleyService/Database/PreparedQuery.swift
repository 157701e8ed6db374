import PostgresNIO

/// A prepared statement whose rows its store reads itself (``ColumnReader``), like a query's: one
/// type per statement, named after it, prepared on each connection at its first use.
protocol PreparedQuery: PostgresPreparedStatement where Row == PostgresRow {}

extension PreparedQuery {
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
