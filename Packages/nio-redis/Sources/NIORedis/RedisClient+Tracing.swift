import Tracing

extension RedisClient {
    /// Runs one command inside a client span named for it (`redis EVALSHA`), when a trace is in
    /// progress — a traced request's. Commands outside a trace (heartbeats, probes, batch loops)
    /// open no root spans of their own, so the only cost when tracing is off is reading the task's
    /// empty trace context.
    func traced(_ arguments: [any RESPArgument], _ send: () async throws -> RESPValue) async throws -> RESPValue {
        guard let context = ServiceContext.current else { return try await send() }
        let command = arguments.first as? String ?? "command"
        return try await withSpan("redis \(command)", context: context, ofKind: .client) { span in
            span.attributes["db.system.name"] = "redis"
            span.attributes["db.operation.name"] = command
            return try await send()
        }
    }
}
