import ArgumentParser
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

extension ParleyConfiguration {
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
