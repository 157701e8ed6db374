import Hummingbird
import Logging

/// Turns every error a route throws into the failure envelope (API.md §1), in the request's
/// language, so that nothing internal ever reaches a client.
///
/// It settles that language first (``AppRequestContext/language``), so routes answer their success
/// texts in it too.
///
/// Errors that are not Parley's own are logged with the request id and answered with a generic
/// 500; Hummingbird's own HTTP errors (unknown route, body too large) keep their meaning.
struct EnvelopeErrorMiddleware: RouterMiddleware {
    let negotiation: LanguageNegotiation

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.language = Language(request: request, negotiation: negotiation)
        do {
            return try await next(request, context)
        } catch {
            let code = Self.errorCode(for: error, logger: context.logger)
            let body = FailureBody(data: code.text(in: context.language), code: code.code)
            var response = try context.responseEncoder.encode(body, from: request, context: context)
            response.status = code.status
            return response
        }
    }

    static func errorCode(for error: any Error, logger: Logger) -> ErrorCode {
        switch error {
        case let error as ParleyError:
            return error.code
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .routeNotFound
            case .contentTooLarge: return .payloadTooLarge
            case .badRequest: return .badRequest
            default:
                logger.error("Unexpected HTTP error", metadata: ["error.status": "\(error.status.code)"])
                return .internalError
            }
        case let error as DependencyUnavailable:
            logger.warning("Dependency unavailable", metadata: ["dependency": "\(error.dependency)", "error": "\(error.underlying)"])
            return .unavailable
        default:
            logger.error("Unhandled error", metadata: ["error.type": "\(type(of: error))", "error": "\(String(reflecting: error))"])
            return .internalError
        }
    }
}

/// A dependency (PostgreSQL or Redis) could not be reached: answered with 503 `unavailable`.
struct DependencyUnavailable: Error, Sendable {
    let dependency: String
    let underlying: any Error

    init(_ dependency: String, underlying: any Error) {
        self.dependency = dependency
        self.underlying = underlying
    }
}
