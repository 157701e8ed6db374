import ArgumentParser
import Foundation
import ParleyService

/// `parley migrate`: applies the SQL files of `sql/` that the database has not seen yet.
struct Migrate: SettingsCommand {
    static let settings = Setting.all.filter(\.isCommon)
    static let configuration = CommandConfiguration(abstract: "Apply the database migrations in sql/.", discussion: settingsHelp)

    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    @Option(help: "Folder of the NNNN_name.sql files.") var sqlDir = "sql"

    func run() async throws {
        let configuration = try loadConfiguration()
        configuration.bootstrapLogging(metadataProvider: nil)
        let logger = configuration.makeLogger(label: "parley.migrate")
        let applied = try await migrate(configuration: configuration, directory: URL(fileURLWithPath: sqlDir), logger: logger)
        logger.notice("Migrations done", metadata: ["applied": "\(applied.count)", "versions": "\(applied)"])
    }
}
