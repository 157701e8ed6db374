import NIOPosix
import PostgresNIO
import Testing
@testable import ParleyService

/// The gateway's own PostgreSQL connection: it opens on first use and, when its backend goes away,
/// opens again.
@Suite("Dedicated connection")
struct DedicatedConnectionTests {
    @Test func aConnectionThatWentAwayIsReopenedByTheNextQuery() async throws {
        try await withTestDatabase { database in
            let connection = try DedicatedConnection(url: TestEnvironment.databaseURL, logger: TestEnvironment.logger)
            let first = try await backend(of: connection)
            _ = try await database.query("SELECT pg_terminate_backend(\(first))")
            // The next query either finds the connection closed and opens another, or fails on it
            // (PostgreSQL's "terminating connection" error) and has the one after open another.
            let second: Int32
            do {
                second = try await backend(of: connection)
            } catch {
                second = try await backend(of: connection)
            }
            #expect(second != first)
            await connection.close()
        }
    }

    /// postgres-nio never answers a query written to a connection that has closed (its handler has
    /// left the channel's pipeline, so nothing fails the query): the deadline ends the wait. The
    /// dedicated connection can write one in the moment between its closed check and the query,
    /// when PostgreSQL has just ended the backend.
    @Test(.timeLimit(.minutes(1))) func aQueryWrittenToAClosedConnectionEndsAtTheDeadline() async throws {
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: .init(url: TestEnvironment.databaseURL),
            id: 1, logger: TestEnvironment.logger
        ).get()
        try await connection.close().get()
        await #expect(throws: (any Error).self) {
            try await withDeadline(.milliseconds(200)) {
                try await connection.query("SELECT 1", logger: TestEnvironment.logger).collect().count
            }
        }
    }

    private func backend(of connection: DedicatedConnection) async throws -> Int32 {
        for try await pid in try await connection.query("SELECT pg_backend_pid()", file: #fileID, line: #line).decode(Int32.self) {
            return pid
        }
        throw UnexpectedRows()
    }

    private struct UnexpectedRows: Error {}
}
