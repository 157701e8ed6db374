import HTTPTypes
import Hummingbird

/// Lets a request through only with a valid token for a current session of an enabled user
/// (API.md §2), checked against PostgreSQL on every request so that a revocation works at once on
/// every node.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let tokens: TokenAuthority
    let sessions: SessionStore

    public init(tokens: TokenAuthority, sessions: SessionStore) {
        self.tokens = tokens
        self.sessions = sessions
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let token = Self.token(of: request) else { throw ParleyError(.unauthenticated) }
        var context = context
        context.identity = try await authenticate(token)
        return try await next(request, context)
    }

    /// The identity behind `token`, or the error API.md names for it.
    public func authenticate(_ token: String) async throws -> TokenIdentity {
        let identity: TokenIdentity
        do {
            identity = try await tokens.verify(token)
        } catch .expired {
            throw ParleyError(.tokenExpired)
        } catch .invalid {
            throw ParleyError(.tokenInvalid)
        }
        switch try await sessions.state(sessionID: identity.sessionID, userID: identity.userID) {
        case .active: return identity
        case .invalid: throw ParleyError(.tokenInvalid)
        case .userDisabled: throw ParleyError(.userDisabled)
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
