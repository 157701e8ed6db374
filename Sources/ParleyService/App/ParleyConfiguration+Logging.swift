import Logging

extension ParleyConfiguration {
    /// Installs the process's log handler in ``logFormat``; once per process, as swift-log allows.
    /// - Parameter metadataProvider: adds metadata to every line (the trace and span ids).
    public func bootstrapLogging(metadataProvider: Logger.MetadataProvider?) {
        switch logFormat {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardOutput, metadataProvider: metadataProvider)
        case .json: LoggingSystem.bootstrap(JSONLogHandler.init, metadataProvider: metadataProvider)
        }
    }

    /// A logger at ``logLevel`` whose lines name this node.
    public func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        logger[metadataKey: "node"] = "\(nodeID)"
        return logger
    }
}
