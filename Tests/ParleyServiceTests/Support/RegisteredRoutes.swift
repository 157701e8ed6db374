import HTTPTypes
import Hummingbird
import Prometheus
@testable import ParleyService

/// A route the router serves: its method and its path as Hummingbird writes it, parameters in
/// braces as OpenAPI does (`/apply/{page}`).
struct RegisteredRoute: Hashable, Sendable {
    let method: HTTPRequest.Method
    let path: String

    /// Every route of a node built from `configuration`, read from its router: tests that must
    /// cover all routes take them from here, so a new route is covered without being listed.
    static func all(configuration: ParleyConfiguration) async throws -> [RegisteredRoute] {
        let dependencies = try await Dependencies(configuration: configuration, logger: TestEnvironment.logger)
        let router = try buildRouter(configuration: configuration, dependencies: dependencies, metrics: PrometheusCollectorRegistry())
        return router.routes.map { RegisteredRoute(method: $0.method, path: $0.path.description) }
    }

    /// The path with each `{parameter}` replaced by `value(name)`.
    func filled(_ value: (Substring) -> String) -> String {
        "/" + path.split(separator: "/").map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? value(segment.dropFirst().dropLast()) : String(segment)
        }.joined(separator: "/")
    }
}
