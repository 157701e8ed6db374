import Tracing

/// Runs `body` inside a client span (`postgresql query`, with the statement's text — its
/// placeholders, never its values), when a trace is in progress: a traced request's, or a traced
/// batch of the gateway's connect path. Queries outside a trace (heartbeats, sweeps) open no root
/// spans of their own, so the only cost when tracing is off is reading the task's empty trace context.
func withQuerySpan<Result>(
    _ operation: String,
    statement: String? = nil,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> Result
) async throws -> Result {
    guard let context = ServiceContext.current else { return try await body() }
    return try await withSpan("postgresql \(operation)", context: context, ofKind: .client) { span in
        span.attributes["db.system.name"] = "postgresql"
        span.attributes["db.operation.name"] = operation
        if let statement { span.attributes["db.query.text"] = statement }
        return try await body()
    }
}
