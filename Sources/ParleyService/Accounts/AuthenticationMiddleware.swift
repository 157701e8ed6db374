import HTTPTypes
import Hummingbird

/// Lets a request through only with a valid token for a current session of an enabled user
/// (API.md §2), checked against PostgreSQL on every request so that a revocation works at once on
/// every node; and slides the session: a 200 answer to a token in the last half of its life carries
/// a renewed one in `X-Parley-Token` (docs/api.md §2).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let authenticator: Authenticator
    let renewal: SessionRenewal

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        do {
            context.identity = try await authenticator.authenticate(Self.token(of: request))
        } catch let refusal as Authenticator.Refusal {
            switch refusal {
            case .noToken: throw ParleyError(.unauthenticated)
            case .invalid: throw ParleyError(.tokenInvalid)
            case .expired: throw ParleyError(.tokenExpired)
            case .userMissing, .userDisabled: throw ParleyError(.userDisabled)
            }
        }
        var response = try await next(request, context)
        if response.status == .ok, response.headers[.parleyToken] == nil, let identity = context.identity,
            renewal.isDue(identity)
        {
            await attachRenewedToken(to: &response, identity: identity, context: context)
        }
        return response
    }

    /// The request was served: a renewal that cannot be written now (PostgreSQL away) is logged and
    /// left to the next request, never turned into a failure.
    private func attachRenewedToken(to response: inout Response, identity: TokenIdentity, context: Context) async {
        do {
            if let renewed = try await renewal.renewIfDue(identity) {
                response.headers[.parleyToken] = renewed.token
            }
        } catch {
            context.logger.warning("Cannot renew the session now", metadata: ["user.id": "\(identity.userID)", "error": "\(error)"])
        }
    }

    /// The token from the `token` header, else `Authorization: Bearer`, else the `token` query.
    static func token(of request: Request) -> String? {
        if let header = request.headers[.token], !header.isEmpty {
            return header
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty {
                return String(parts[1])
            }
        }
        if let query = request.uri.queryParameters.get("token"), !query.isEmpty {
            return query
        }
        return nil
    }
}

extension HTTPField.Name {
    static let token = Self("token")!
}
