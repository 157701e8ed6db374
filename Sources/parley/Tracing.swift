import Logging
import OTel
import ParleyService
import ServiceLifecycle
import Tracing

extension ParleyConfiguration {
    /// Bootstraps the process's tracer once, before the first span: OTLP/HTTP export of spans to
    /// `PARLEY_OTEL_ENDPOINT`'s `/v1/traces` (protobuf, or what `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`
    /// says; the other standard `OTEL_*` variables apply too). Returns the service that batches and
    /// sends the spans, or `nil` when tracing is off — then no tracer is installed at all.
    ///
    /// Only traces: `/metrics` stays Prometheus's, and logs stay on standard output.
    func bootstrapTracing(logger: Logger) throws -> (any Service)? {
        guard let otelEndpoint else { return nil }
        var otel = OTel.Configuration.default
        otel.serviceName = "parley"
        otel.resourceAttributes = ["service.instance.id": nodeID, "service.version": version]
        otel.diagnosticLogger = .custom(logger)
        otel.logs.enabled = false
        otel.metrics.enabled = false
        otel.traces.otlpExporter.endpoint = otelEndpoint.hasSuffix("/") ? "\(otelEndpoint)v1/traces" : "\(otelEndpoint)/v1/traces"
        // An unreachable collector holds each export for the whole timeout (the HTTP client retries
        // the connection until then), and the last flush at shutdown for up to the export timeout:
        // 3 s and 5 s instead of 10 s and 30 s, so it never stretches a node's stop by much.
        otel.traces.otlpExporter.timeout = .seconds(3)
        otel.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        let backend = try OTel.makeTracingBackend(configuration: otel)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }

    /// Adds the current span's `trace_id` and `span_id` to every log line written inside one.
    var logMetadataProvider: Logger.MetadataProvider? {
        otelEndpoint == nil ? nil : OTel.makeLoggingMetadataProvider()
    }
}
