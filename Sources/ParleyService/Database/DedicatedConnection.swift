import Logging
import NIOPosix
import PostgresNIO

/// A PostgreSQL connection of its own, outside the pool, for one loop of small queries that follow
/// each other closely: the connect path's batched session checks.
///
/// Through the pool each query pays a lease, and each time the pool's connection goes idle between
/// two of them the pool starts an idle timer that the next lease cancels — a cancelled sleep that
/// holds about 850 B until its deadline (``Database/init(url:poolSize:logger:)``). A reconnect storm
/// of 19,000 sockets left megabytes that way. This connection opens on its first query, closes on
/// any failure (the query's caller sees the failure) and opens again on the next query.
actor DedicatedConnection: QueryRunner {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private var connection: PostgresConnection?
    private var connections = 0

    init(url: String, logger: Logger) throws {
        var configuration = try PostgresConnection.Configuration(url: url)
        configuration.options.connectTimeout = .seconds(Database.deadline.components.seconds)
        self.configuration = configuration
        self.logger = logger
    }

    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> QueryRows {
        try await withQuerySpan("query", statement: query.sql) {
            do {
                let connection = try await connected()
                return try await withDeadline(Database.deadline) { [logger] in
                    QueryRows(rows: try await connection.query(query, logger: logger, file: file, line: line).collect())
                }
            } catch {
                await close()
                throw Database.unavailable(error)
            }
        }
    }

    /// Closes the connection, if open; the next query opens another.
    func close() async {
        try? await connection?.close()
        connection = nil
    }

    private func connected() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connections += 1
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: connections, logger: logger
        ).get()
        self.connection = connection
        return connection
    }
}
