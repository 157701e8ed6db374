import Foundation
import Hummingbird

/// `GET /admin/series` (docs/api.md §9): every node's last hour of samples, and the cluster's.
extension AdminController {
    struct SeriesAnswer: Encodable, Sendable {
        struct Node: Encodable, Sendable {
            let id: String
            let samples: [Sample]
        }

        /// Seconds between two samples.
        let interval: Int
        /// Seconds of history kept.
        let window: Int
        let nodes: [Node]
        let cluster: [Sample]
    }

    static let sinceField = Field("since", chinese: "起始时间", english: "since")

    @Sendable func seriesAnswer(_ request: Request, context: AppRequestContext) async throws -> Envelope<SeriesAnswer> {
        let since = try request.integerQuery(Self.sinceField, in: 0...Int.max, default: 0)
        let node: String? = request.uri.queryParameters.get("node").flatMap { $0.isEmpty ? nil : $0 }
        let nodes = try await redis { try await series.samples(since: since > 0 ? Int64(since) : nil, node: node, now: Date()) }
        return Envelope(
            SeriesAnswer(
                interval: Int(seriesInterval.components.seconds),
                window: Int(series.window.components.seconds),
                nodes: nodes.map { .init(id: $0.node, samples: $0.samples) },
                cluster: ClusterSeries.combine(nodes.map(\.samples))
            )
        )
    }
}
