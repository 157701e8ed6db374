import ArgumentParser
import Foundation
import ParleyService
import PostgresNIO

/// `parley migrate`: applies the SQL files of `sql/` that the database has not seen yet.
struct Migrate: SettingsCommand {
    static let settings = Setting.all.filter(\.isCommon)
    static let configuration = CommandConfiguration(abstract: "Apply the database migrations in sql/.", discussion: settingsHelp)

    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    @Option(help: "Folder of the NNNN_name.sql files.") var sqlDir = "sql"

    func run() async throws {
        let configuration = try loadConfiguration()
        configuration.bootstrapLogging()
        let logger = configuration.makeLogger(label: "parley.migrate")
        let migrator = try Migrator(directory: URL(fileURLWithPath: sqlDir), logger: logger)
        let client = PostgresClient(configuration: try .init(url: configuration.databaseURL), backgroundLogger: logger)
        let applied = try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await migrator.run(on: client)
        }
        logger.notice("Migrations done", metadata: ["applied": "\(applied.count)", "versions": "\(applied)"])
    }
}
