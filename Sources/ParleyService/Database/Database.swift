import Logging
import PostgresNIO

/// The PostgreSQL client every store shares, with the two ways stores talk to it.
///
/// It unwraps postgres-nio's transaction error so that a ``ParleyError`` thrown inside a
/// transaction reaches the client as itself, after the rollback.
public struct Database: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func query(
        _ query: PostgresQuery,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> PostgresRowSequence {
        try await client.query(query, logger: logger, file: file, line: line)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<Result>(
        file: String = #file,
        line: Int = #line,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        do {
            return try await client.withTransaction(logger: logger, file: file, line: line, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    /// Whether `error` is the server refusing a row because of a unique constraint.
    public static func isUniqueViolation(_ error: any Error, constraint: String? = nil) -> Bool {
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" else { return false }
        return constraint == nil || error.serverInfo?[.constraintName] == constraint
    }
}
