import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL client every store shares, with the two ways stores talk to it.
///
/// It unwraps postgres-nio's transaction error so that a ``ParleyError`` thrown inside a
/// transaction reaches the client as itself, after the rollback; and it turns an unreachable
/// database into ``DependencyUnavailable`` within ``deadline``, so a route answers 503 instead of
/// hanging while PostgreSQL is down.
public struct Database: Sendable {
    /// The longest a route waits for PostgreSQL to start answering.
    public static let deadline: Duration = .seconds(4)

    public let client: PostgresClient
    let logger: Logger

    /// Connections in the pool: beyond it, queries wait.
    let poolSize: Int
    private let inFlight = PoolUsage()

    /// Queries and transactions running or waiting for a connection now.
    var queriesInFlight: Int { inFlight.current }

    public init(client: PostgresClient, logger: Logger, poolSize: Int = PostgresClient.Configuration.Options().maximumConnections) {
        self.client = client
        self.logger = logger
        self.poolSize = poolSize
    }

    /// A database at `url` whose pool holds up to `poolSize` connections, without keep-alive
    /// queries; the caller runs ``client``.
    ///
    /// No minimum: with `minimumConnections` above zero, postgres-nio 1.33's pool can miss replacing
    /// a connection that closed during a PostgreSQL restart and then trips a precondition on the next
    /// lease (`createNewDemandConnectionIfPossible`), killing the node — the chaos checker (make
    /// chaos) found it, release builds included (vapor/postgres-nio#479 is the same family). The
    /// connections above a minimum carry an idle timer, a `Task.sleep` the pool cancels whenever the
    /// connection is leased again. A cancelled sleep keeps about 850 B (its task and dispatch timer)
    /// until its deadline: with an hour's timeout every idle-to-busy turn of a connection held memory
    /// for an hour (1.4 KB per connecting socket in heaptrack). Five minutes bound that to five
    /// minutes' turns, while idle connections still rarely close (the default 60 s cost an idle node
    /// with 19,000 sockets 6 % CPU). Keep-alive queries stay off: a connection the server closes is
    /// replaced, and a query stuck on one that went silent runs into ``deadline``.
    public init(url: String, poolSize: Int, logger: Logger) throws {
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
    /// would hold its connection until it was read, which would leak the pool's connections one
    /// outage at a time.
    ///
    /// The connection is leased with `withConnection`, which returns it on every path, and not
    /// through `PostgresClient.query`: in postgres-nio 1.33.2 that one never returns a connection
    /// whose query sent its row description and then failed (an `INSERT … RETURNING` hitting a
    /// unique constraint) before the caller began reading the rows — under load every pool
    /// connection leaked that way, one duplicate registration at a time
    /// (`PSQLRowStream.asyncSequence(onFinish:)` skips `onFinish` for a stream that already failed).
    public func query(
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
    /// the statements of the message path, planning cost more than running (pgbench of the send:
    /// 3,183 tps prepared against 1,269 as unnamed statements, BENCHMARKS.md, issue 15).
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
    public func transaction<Result: Sendable>(
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
    public static func isUniqueViolation(_ error: any Error, constraint: String? = nil) -> Bool {
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
public struct QueryRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    let rows: [PostgresRow]

    public struct AsyncIterator: AsyncIteratorProtocol {
        var rows: IndexingIterator<[PostgresRow]>
        public mutating func next() async -> PostgresRow? { rows.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(rows: rows.makeIterator())
    }

    /// Every row decoded as the given column types, in order.
    public func decode<each Column: PostgresDecodable>(
        _ types: (repeat each Column).Type
    ) -> AsyncThrowingMapSequence<QueryRows, (repeat each Column)> {
        map { row in try row.decode((repeat each Column).self) }
    }

    public func collect() -> [PostgresRow] { rows }
}
