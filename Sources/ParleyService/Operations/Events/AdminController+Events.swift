import Hummingbird

/// `GET /admin/events` (docs/api.md §9): the cluster's event feed, newest first.
extension AdminController {
    struct EventsAnswer: Encodable, Sendable {
        let events: [ClusterEvent]
    }

    static let countField = Field("count", chinese: "数量", english: "count")
    static let beforeField = Field("before", chinese: "事件ID", english: "before")

    @Sendable func recentEvents(_ request: Request, context: AppRequestContext) async throws -> Envelope<EventsAnswer> {
        let count = try request.integerQuery(Self.countField, in: 1...200, default: 50)
        let before: String? = request.uri.queryParameters.get("before").flatMap { $0.isEmpty ? nil : $0 }
        if let before, !Self.isStreamID(before) {
            throw ParleyError.validation(.wrongType(Self.beforeField, value: before, type: "event id"))
        }
        return Envelope(EventsAnswer(events: try await redis { try await events.recent(count: count, before: before) }))
    }

    /// `<ms>-<seq>`, two whole numbers: what Redis names stream entries.
    static func isStreamID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.count <= 20 && $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }
    }
}
