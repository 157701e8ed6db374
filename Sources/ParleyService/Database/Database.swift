import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL client every store shares, with the two ways stores talk to it.
///
/// It unwraps postgres-nio's transaction error so that a ``ParleyError`` thrown inside a
/// transaction reaches the client as itself, after the rollback; and it turns an unreachable
/// database into ``DependencyUnavailable`` within ``deadline``, so a route answers 503 instead of
/// hanging while PostgreSQL is down.
struct Database: Sendable {
    /// The longest a route waits for PostgreSQL to start answering.
    static let deadline: Duration = .seconds(4)

    let client: PostgresClient
    let logger: Logger

    /// Connections in the pool: beyond it, queries wait.
    let poolSize: Int
    private let inFlight = PoolUsage()

    /// Queries and transactions running or waiting for a connection now.
    var queriesInFlight: Int { inFlight.current }

    init(client: PostgresClient, logger: Logger, poolSize: Int = PostgresClient.Configuration.Options().maximumConnections) {
        self.client = client
        self.logger = logger
        self.poolSize = poolSize
    }

    /// A database at `url` whose pool holds up to `poolSize` connections, without keep-alive
    /// queries; the caller runs ``client``.
    ///
    /// No minimum: with one, postgres-nio 1.33's pool can trip a precondition on the lease after a
    /// PostgreSQL restart and kill the node (BENCHMARKS.md, fix 2). Idle connections close after
    /// five minutes: the pool cancels a connection's idle timer at each lease, a cancelled sleep
    /// holds its memory until its deadline, and a short timeout costs an idle node CPU
    /// (BENCHMARKS.md, fixes 14 and 23). Keep-alive queries stay off: a connection the server closes
    /// is replaced, and a query stuck on one that went silent runs into ``deadline``.
    init(url: String, poolSize: Int, logger: Logger) throws {
        var configuration = try PostgresClient.Configuration(url: url)
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = poolSize
        configuration.options.connectionIdleTimeout = .seconds(300)
        configuration.options.keepAliveBehavior = nil
        self.init(client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger, poolSize: poolSize)
    }

    /// Runs `query` and reads all its rows, within ``deadline``.
    ///
    /// The rows are read inside the deadline: a row stream handed back after the caller gave up
    /// would hold its connection until it was read (BENCHMARKS.md, fix 11). The connection is
    /// leased with `withConnection`, which returns it on every path: `PostgresClient.query` keeps
    /// the connection of a query that failed before its rows were read (BENCHMARKS.md, fix 12).
    func query(
        _ query: PostgresQuery,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> QueryRows {
        try await withQuerySpan("query", statement: query.sql) {
            try await withinDeadline { [client, logger] in
                try await client.withConnection { connection in
                    QueryRows(rows: try await connection.query(query, logger: logger, file: file, line: line).collect())
                }
            }
        }
    }

    /// Runs a prepared statement and reads all its rows, within ``deadline``, like ``query(_:file:line:)``.
    ///
    /// A prepared statement is parsed and planned once per connection, then only bound and run: for
    /// the statements of the message path, planning cost more than running (BENCHMARKS.md, fix 24).
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        try await withQuerySpan("execute", statement: Statement.sql) {
            try await withinDeadline { [client, logger] in
                try await client.withConnection { connection in
                    var rows: [Statement.Row] = []
                    for try await row in try await connection.execute(statement, logger: logger, file: file, line: line) {
                        rows.append(row)
                    }
                    return rows
                }
            }
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<Result: Sendable>(
        file: String = #file,
        line: Int = #line,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withQuerySpan("transaction") {
            try await withinDeadline { [client, logger] in
                do {
                    return try await client.withTransaction(logger: logger, file: file, line: line) { try await body($0) }
                } catch let error as PostgresTransactionError {
                    throw error.closureError ?? error.beginError ?? error.commitError ?? error
                }
            }
        }
    }

    /// Runs `body`, failing with ``DependencyUnavailable`` when PostgreSQL cannot be reached or
    /// does not answer within ``deadline``.
    private func withinDeadline<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        inFlight.change(by: 1, poolSize: poolSize)
        defer { inFlight.change(by: -1, poolSize: poolSize) }
        do {
            return try await withDeadline(Self.deadline, body)
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// Connection failures and timeouts as an outage; anything else (a constraint, a bug) as it is.
    static func unavailable(_ error: any Error) -> any Error {
        switch error {
        case is DeadlineExceeded:
            return DependencyUnavailable("postgresql", underlying: error)
        case let error as PSQLError
        where [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed]
            .contains(error.code):
            return DependencyUnavailable("postgresql", underlying: error)
        default:
            return error
        }
    }

    /// Whether `error` is the server refusing a row because of a unique constraint.
    static func isUniqueViolation(_ error: any Error, constraint: String? = nil) -> Bool {
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" else { return false }
        return constraint == nil || error.serverInfo?[.constraintName] == constraint
    }
}

/// How many of the pool's connections the node's queries hold, and how many queries wait for one:
/// every query and every transaction holds exactly one connection while it runs, so both follow
/// from the number in flight and the pool size (postgres-nio exposes no pool statistics itself).
private final class PoolUsage: Sendable {
    private let count = Atomic<Int>(0)

    var current: Int { count.load(ordering: .relaxed) }

    func change(by delta: Int, poolSize: Int) {
        let now = count.add(delta, ordering: .relaxed).newValue
        NodeMetrics.postgresConnectionsInUse.record(min(now, poolSize))
        NodeMetrics.postgresQueriesWaiting.record(max(0, now - poolSize))
    }
}

/// The rows of a query, read in full: iterate them, or decode them as tuples.
struct QueryRows: AsyncSequence, Sendable {
    typealias Element = PostgresRow
    let rows: [PostgresRow]

    struct AsyncIterator: AsyncIteratorProtocol {
        var rows: IndexingIterator<[PostgresRow]>
        mutating func next() async -> PostgresRow? { rows.next() }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(rows: rows.makeIterator())
    }

    /// Every row decoded as the given column types, in order.
    func decode<each Column: PostgresDecodable>(
        _ types: (repeat each Column).Type
    ) -> AsyncThrowingMapSequence<QueryRows, (repeat each Column)> {
        map { row in try row.decode((repeat each Column).self) }
    }

    func collect() -> [PostgresRow] { rows }
}
