import Logging
import PostgresNIO
@testable import ParleyService

/// Direct SQL for arranging what no route can (disabling a user) and for checking what routes
/// wrote, on the same database the node under test uses.
func withTestDatabase<Result: Sendable>(
    url: String = TestEnvironment.databaseURL,
    _ body: @Sendable (Database) async throws -> Result
) async throws -> Result {
    let client = PostgresClient(configuration: try .init(url: url), backgroundLogger: TestEnvironment.logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(Database(client: client, logger: TestEnvironment.logger))
    }
}

extension Database {
    func setStatus(userID: Int, _ status: Int) async throws {
        _ = try await query("UPDATE users SET status = \(Int16(status)) WHERE id = \(userID)").all()
    }
}

extension AsyncSequence {
    /// Every element, for the few rows a test reads.
    func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
