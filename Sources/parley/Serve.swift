import ArgumentParser
import Hummingbird
import ServiceLifecycle
import Metrics
import ParleyService
import Prometheus

/// `parley serve`: runs one node until SIGTERM or SIGINT, then shuts down gracefully.
struct Serve: SettingsCommand {
    static let settings = Setting.all
    static let configuration = CommandConfiguration(abstract: "Run one Parley node.", discussion: settingsHelp)

    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        HeapSettings.apply()
        let configuration = try loadConfiguration()
        _ = try configuration.requiredJWTSecret()
        configuration.bootstrapLogging(metadataProvider: configuration.logMetadataProvider)
        let logger = configuration.makeLogger(label: "parley")
        // Once per process, here and not in buildNode: swift-metrics refuses a second bootstrap.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let tracing = try configuration.bootstrapTracing(logger: logger)
        let node = try await buildNode(configuration: configuration, logger: logger, metrics: registry)
        // ServiceGroup stops services in reverse order: the tracer, listed first, exports until the node has stopped.
        try await ServiceGroup(
            configuration: .init(services: [tracing].compactMap { $0 } + node.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}
