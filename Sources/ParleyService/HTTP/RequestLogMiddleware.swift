import Hummingbird
import Logging

/// One log line per request: its id, method, route, status and duration, never its body or
/// headers (they carry passwords and tokens).
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info(
            "Request",
            metadata: [
                "http.method": "\(request.method)",
                "http.route": "\(context.endpointPath ?? "unmatched")",
                "http.status": "\(response.status.code)",
                "duration_ms": "\((milliseconds * 100).rounded() / 100)",
            ]
        )
        return response
    }
}
