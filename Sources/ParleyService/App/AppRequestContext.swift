import HTTPTypes
import Hummingbird

/// The request context of every route: Hummingbird's core storage plus who is signed in.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on the routes that need a signed-in user.
    public var identity: TokenIdentity?
    /// The peer's IP address (the balancer's, when there is one: see ``clientAddress(of:trustProxy:)``).
    public let peerAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The client's address: `X-Real-IP` when the balancer is trusted to set it, else the peer's.
    public func clientAddress(of request: Request, trustProxy: Bool) -> String? {
        if trustProxy, let forwarded = request.headers[.xRealIP], !forwarded.isEmpty { return forwarded }
        return peerAddress
    }

    /// Bodies are read with their own limit (``RequestFields/maximumBodySize``).
    public var maxUploadSize: Int { RequestFields.maximumBodySize }

    /// The signed-in user; only routes behind ``AuthenticationMiddleware`` call this.
    public func requireIdentity() throws -> TokenIdentity {
        guard let identity else { throw ParleyError(.unauthenticated) }
        return identity
    }
}

extension HTTPField.Name {
    static let xRealIP = Self("X-Real-IP")!
}
