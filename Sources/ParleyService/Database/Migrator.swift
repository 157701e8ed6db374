import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `sql/` in order, each once, each in its own transaction.
///
/// A session-level advisory lock serialises concurrent runs (two nodes migrating at once): the
/// second waits, then finds every file already recorded in `schema_migrations` and does nothing.
struct Migrator: Sendable {
    /// One SQL file: `0001_users.sql` has version `0001` and name `users`.
    struct Migration: Sendable, Equatable {
        let version: String
        let name: String
        let sql: String
    }

    /// Arbitrary but fixed: identifies Parley's migration lock among other advisory locks.
    static let advisoryLockKey: Int64 = 0x7061_726c_6579

    let migrations: [Migration]
    let logger: Logger

    init(directory: URL, logger: Logger) throws {
        self.migrations = try Self.load(directory: directory)
        self.logger = logger
    }

    static func load(directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ConfigurationError.invalid("--sql-dir", reason: "cannot read \(directory.path): \(error.localizedDescription)")
        }
        return try names.filter { $0.hasSuffix(".sql") }.sorted().map { file in
            let stem = file.dropLast(4)
            guard let separator = stem.firstIndex(of: "_"), stem[..<separator].allSatisfy(\.isNumber) else {
                throw ConfigurationError.invalid("--sql-dir", reason: "\(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: String(stem[..<separator]), name: String(stem[stem.index(after: separator)...]), sql: sql)
        }
    }

    /// Applies every migration not yet recorded; returns the versions it applied.
    @discardableResult
    func run(on client: PostgresClient) async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version text PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        var done = Set<String>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
            .decode(String.self)
        {
            done.insert(version)
        }
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.version) {
            try await apply(migration, on: connection)
            applied.append(migration.version)
        }
        return applied
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        logger.info("Applying migration", metadata: ["migration": "\(migration.version)_\(migration.name)"])
        try await connection.query("BEGIN", logger: logger)
        do {
            for statement in SQLScript.statements(in: migration.sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                logger: logger
            )
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

/// `parley migrate`: applies the migrations of `directory` to the configured database.
/// - Returns: the versions applied, none when the database was up to date.
public func migrate(configuration: ParleyConfiguration, directory: URL, logger: Logger) async throws -> [String] {
    let migrator = try Migrator(directory: directory, logger: logger)
    let client = PostgresClient(configuration: try .init(url: configuration.databaseURL), backgroundLogger: logger)
    return try await withThrowingDiscardingTaskGroup { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await migrator.run(on: client)
    }
}
