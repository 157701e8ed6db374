import Hummingbird
import Prometheus

/// `GET /`, `/health`, `/ready` and `/metrics` (API.md §4, Service): the routes a load balancer and an
/// operator ask before anything else.
struct ServiceController: Sendable {
    let configuration: ParleyConfiguration
    let readiness: Readiness
    let metrics: PrometheusCollectorRegistry

    struct About: Encodable, Sendable {
        let name = "parley"
        let version: String
        let node: String
    }

    func addRoutes(to router: Router<AppRequestContext>) {
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
        // Reached only by a `/ws` request that was not upgraded: a draining node, or no upgrade asked.
        router.get("ws") { _, _ -> Response in
            throw ParleyError(readiness.isDraining ? .unavailable : .badRequest)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer()))
            )
        }
    }
}
