import ArgumentParser
import Configuration
import Foundation
import Logging
import ParleyService

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "The Parley chat server.",
        version: ParleyConfiguration.version,
        subcommands: [Serve.self, Migrate.self]
    )
}

/// Settings shared by every subcommand; each overrides its `PARLEY_*` environment variable.
struct CommonOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (PARLEY_DATABASE_URL).")
    var databaseUrl: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (PARLEY_LOG_LEVEL).")
    var logLevel: String?

    @Option(help: "text or json (PARLEY_LOG_FORMAT).")
    var logFormat: String?

    /// The flags that were given, as configuration keys.
    var flags: [String: String?] {
        ["parley.database.url": databaseUrl, "parley.log.level": logLevel, "parley.log.format": logFormat]
    }
}

extension ParleyConfiguration {
    /// Flags first, then the environment, then the defaults of API.md §7.
    static func load(flags: [String: String?]) throws -> ParleyConfiguration {
        let given = flags.compactMapValues { $0 }
        let values = Dictionary(uniqueKeysWithValues: given.map { (AbsoluteConfigKey(stringLiteral: $0.key), ConfigValue(.string($0.value), isSecret: false)) })
        return try ParleyConfiguration(
            reader: ConfigReader(providers: [InMemoryProvider(name: "flags", values: values), EnvironmentVariablesProvider()])
        )
    }

    /// Sets the log format for the whole process; once, before the first logger.
    func bootstrapLogging() {
        switch logFormat {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardOutput, metadataProvider: logMetadataProvider)
        case .json: LoggingSystem.bootstrap(JSONLogHandler.init, metadataProvider: logMetadataProvider)
        }
    }

    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        logger[metadataKey: "node"] = "\(nodeID)"
        return logger
    }
}
