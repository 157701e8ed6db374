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

    private func backend(of connection: DedicatedConnection) async throws -> Int32 {
        for try await pid in try await connection.query("SELECT pg_backend_pid()", file: #fileID, line: #line).decode(Int32.self) {
            return pid
        }
        throw UnexpectedRows()
    }

    private struct UnexpectedRows: Error {}
}
