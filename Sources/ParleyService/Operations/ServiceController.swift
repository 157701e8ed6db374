import Hummingbird

/// `GET /`, `/health` and `/ready` (API.md §4, Service): the routes a load balancer and an
/// operator ask before anything else.
public struct ServiceController: Sendable {
    let configuration: ParleyConfiguration
    let readiness: Readiness

    public init(configuration: ParleyConfiguration, readiness: Readiness) {
        self.configuration = configuration
        self.readiness = readiness
    }

    struct About: Encodable, Sendable {
        let name = "parley"
        let version: String
        let node: String
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/") { _, _ in
            Envelope(About(version: configuration.version, node: configuration.nodeID))
        }
        router.get("health") { _, _ in Envelope("ok") }
        router.get("ready") { _, context in
            if let reason = await readiness.unreadyReason() {
                context.logger.notice("Not ready", metadata: ["reason": "\(reason)"])
                throw ParleyError(.unavailable)
            }
            return Envelope("ok")
        }
    }
}
