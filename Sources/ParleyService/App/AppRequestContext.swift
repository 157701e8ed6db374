import HTTPTypes
import Hummingbird

/// The request context of every route: Hummingbird's core storage plus who is signed in.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on the routes that need a signed-in user.
    var identity: TokenIdentity?
    /// The language of the answer's texts, set by ``EnvelopeErrorMiddleware``.
    var language = Language.chinese
    /// The peer's IP address (the balancer's, when there is one: see ``clientAddress(of:trustedProxies:)``).
    let peerAddress: String?

    init(source: Source) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The client's address: `X-Real-IP` when the peer is a trusted balancer, else the peer's.
    func clientAddress(of request: Request, trustedProxies: TrustedProxies) -> IPAddress? {
        trustedProxies.clientAddress(peer: peerAddress.flatMap(IPAddress.init), realIP: request.headers[.xRealIP])
    }

    /// Every JSON answer is ``JSONWriter``'s, not Foundation's `JSONEncoder` (Hummingbird's default).
    var responseEncoder: JSONWriter { JSONWriter() }

    /// Bodies are read with their own limit (``RequestFields/maximumBodySize``).
    var maxUploadSize: Int { RequestFields.maximumBodySize }

    /// The signed-in user; only routes behind ``AuthenticationMiddleware`` call this.
    func requireIdentity() throws -> TokenIdentity {
        guard let identity else { throw ParleyError(.unauthenticated) }
        return identity
    }
}

extension HTTPField.Name {
    static let xRealIP = Self("X-Real-IP")!
}
