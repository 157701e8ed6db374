import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import ParleyService

/// The real services `make test` starts (scripts/test.sh exports their URLs).
enum TestEnvironment {
    static let databaseURL =
        ProcessInfo.processInfo.environment["PARLEY_TEST_DATABASE_URL"] ?? "postgres://parley@127.0.0.1:55432/parley_test"
    static let redisURL =
        ProcessInfo.processInfo.environment["PARLEY_TEST_REDIS_URL"] ?? "redis://127.0.0.1:56379/1"
    static let jwtSecret = "parley-tests-secret-0123456789abcdef"

    static func configuration() -> ParleyConfiguration {
        var configuration = ParleyConfiguration()
        configuration.databaseURL = databaseURL
        configuration.redisURL = redisURL
        configuration.jwtSecret = jwtSecret
        configuration.bcryptCost = 4  // the minimum: tests register many users
        configuration.databasePoolSize = 4  // suites run in parallel, each with its own node
        configuration.nodeID = "test-node"
        return configuration
    }

    static var logger: Logger {
        var logger = Logger(label: "parley.tests")
        logger.logLevel = .warning
        return logger
    }

    /// A username no other test uses: 5–20 characters.
    static func uniqueUsername(_ prefix: String = "u") -> String {
        prefix + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12)).lowercased()
    }
}

/// Runs `body` against a node built from `configuration`, through Hummingbird's router test
/// client, with its PostgreSQL pool running.
func withParley(
    _ configuration: ParleyConfiguration = TestEnvironment.configuration(),
    _ body: @Sendable (ParleyClient) async throws -> Void
) async throws {
    let app = try await buildApplication(configuration: configuration, logger: TestEnvironment.logger)
    try await app.test(.router) { client in
        try await body(ParleyClient(client: client))
    }
}
