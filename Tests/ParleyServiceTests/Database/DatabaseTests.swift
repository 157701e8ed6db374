import Foundation
import PostgresNIO
import Synchronization
import Testing
@testable import ParleyService

/// How ``Database`` holds its pool's connections, against the real PostgreSQL.
@Suite("Database")
struct DatabaseTests {
    /// `PostgresClient.query` in postgres-nio 1.33.2 kept the connection of an `INSERT … RETURNING`
    /// that failed before its rows were read: under load a node lost its whole pool to duplicate
    /// registrations. Thousands of them on a two-connection pool, a hundred at a time, while busy threads preempt the
    /// ones sending queries (the leak needed a stall between sending a query and reading it),
    /// must leave it working.
    @Test func failedReturningQueriesGiveTheirConnectionsBack() async throws {
        let spinning = Atomic(true)
        for _ in 0..<4 {
            Thread.detachNewThread { while spinning.load(ordering: .relaxed) {} }
        }
        defer { spinning.store(false, ordering: .relaxed) }
        let database = try Database(url: TestEnvironment.databaseURL, poolSize: 2, logger: TestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            let username = "leak" + UUID().uuidString.prefix(8).lowercased()
            let insert: PostgresQuery = "INSERT INTO users (username, password_hash) VALUES (\(username), 'x') RETURNING id"
            let inserted = try await database.query(insert).collect()
            #expect(inserted.count == 1)
            // A window of 100 in flight keeps both connections busy without leaving any query
            // queued long enough to run into `Database.deadline` on a slow machine.
            let violations = await withTaskGroup(of: Bool.self) { duplicates in
                @Sendable func duplicate() async -> Bool {
                    do {
                        _ = try await database.query(insert)
                        return false
                    } catch {
                        return Database.isUniqueViolation(error, constraint: "users_username_key")
                    }
                }
                var count = 0
                for started in 0..<2_000 {
                    if started >= 100, let violated = await duplicates.next() {
                        count += violated ? 1 : 0
                    }
                    duplicates.addTask(operation: duplicate)
                }
                for await violated in duplicates {
                    count += violated ? 1 : 0
                }
                return count
            }
            #expect(violations == 2_000)
            // Both connections came back: this would wait for a lease until the deadline.
            let answered = try await database.query("SELECT 1").collect()
            #expect(answered.count == 1)
        }
    }
}
