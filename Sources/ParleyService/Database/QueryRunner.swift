import PostgresNIO

/// Runs one query and reads its rows within ``Database/deadline``, failing with
/// ``DependencyUnavailable`` when PostgreSQL cannot be reached: the pool (``Database``) or a
/// connection of one loop's own (``DedicatedConnection``).
protocol QueryRunner: Sendable {
    func query(_ query: PostgresQuery, file: String, line: Int) async throws -> QueryRows
}

extension Database: QueryRunner {}
