import Hummingbird

/// The request context of every route: Hummingbird's core storage plus who is signed in.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on the routes that need a signed-in user.
    public var identity: TokenIdentity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies are read with their own limit (``RequestFields/maximumBodySize``).
    public var maxUploadSize: Int { RequestFields.maximumBodySize }

    /// The signed-in user; only routes behind ``AuthenticationMiddleware`` call this.
    public func requireIdentity() throws -> TokenIdentity {
        guard let identity else { throw ParleyError(.unauthenticated) }
        return identity
    }
}
