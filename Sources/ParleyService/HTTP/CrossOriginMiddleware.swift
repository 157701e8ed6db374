import HTTPTypes
import Hummingbird

/// CORS for a browser build of the client (`PARLEY_CORS_ORIGINS`): any origin by default, or a list.
///
/// No credentials are ever allowed: tokens travel in the `token` or `Authorization` header, never
/// in cookies, so a permissive origin list exposes nothing a script could not send anyway.
/// Preflight requests are answered here, before routing.
struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    /// `nil` allows every origin.
    let allowedOrigins: Set<String>?

    static var allowHeaders: String { "Accept, Accept-Language, Authorization, Content-Type, Origin, token, X-Parley-Language" }
    static var allowMethods: String { "GET, POST, OPTIONS" }

    /// `nil` when CORS is off (`origins` is empty).
    init?(origins: [String]?) {
        if let origins, origins.isEmpty { return nil }
        allowedOrigins = origins.map(Set.init)
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = allowedOrigins.map { $0.contains(origin) } ?? true
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: allowed ? .noContent : .forbidden)
            if allowed {
                response.headers[.accessControlAllowMethods] = Self.allowMethods
                response.headers[.accessControlAllowHeaders] = Self.allowHeaders
                response.headers[.accessControlMaxAge] = "600"
                decorate(&response, origin: origin)
            }
            return response
        }
        var response = try await next(request, context)
        if allowed { decorate(&response, origin: origin) }
        return response
    }

    private func decorate(_ response: inout Response, origin: String) {
        // A browser client may read a renewed token (docs/api.md §2) only when it is exposed.
        response.headers[.accessControlExposeHeaders] = "X-Parley-Token"
        if allowedOrigins == nil {
            response.headers[.accessControlAllowOrigin] = "*"
        } else {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
    }
}
