import Hummingbird
import Logging

/// One log line and the HTTP metrics per request: its id, method, route, status and duration,
/// never its body or headers (they carry passwords and tokens).
struct RequestObservationMiddleware<Context: RequestContext>: RouterMiddleware {
    init() {}

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        NodeMetrics.httpRequest(route: route, method: request.method.rawValue, status: response.status.code, duration: elapsed)
        context.logger.info(
            "Request",
            metadata: [
                "http.method": "\(request.method)",
                "http.route": "\(route)",
                "http.status": "\(response.status.code)",
                "duration_ms": "\((Double(elapsed.nanoseconds) / 10_000).rounded() / 100)",
            ]
        )
        return response
    }
}
