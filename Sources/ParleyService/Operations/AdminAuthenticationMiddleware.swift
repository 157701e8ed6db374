import Crypto
import Foundation
import Hummingbird

/// Lets operators in with `Authorization: Bearer <PARLEY_ADMIN_TOKEN>` (API.md §6).
///
/// The comparison takes the same time whatever the guess: both sides are hashed first, so neither
/// the length nor a matching prefix of the secret shows in the response time.
struct AdminAuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    private let expectedDigest: SHA256.Digest

    init(adminToken: String) {
        expectedDigest = SHA256.hash(data: Data(adminToken.utf8))
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
            SHA256.hash(data: Data(authorization.dropFirst(7).utf8)) == expectedDigest
        else { throw ParleyError(.unauthenticated) }
        return try await next(request, context)
    }
}
