import Synchronization
import Tracing

/// One span per socket connect (`socket connect`), from the completed upgrade to the account's
/// claim (`accepted`) or the socket's close before it (`closed`: refused, or the client left).
///
/// The gateway keeps one only when tracing is on (``ParleyConfiguration/otelEndpoint``): off, the
/// connect path pays one `nil` check per step and keeps no table. The connect steps run in shared
/// batches (one session query, one claim script for many sockets), so their PostgreSQL and Redis
/// calls cannot be children of one socket's span: each batch has a span of its own, linked to the
/// spans of its sockets, and the calls are its children.
final class ConnectSpans: Sendable {
    private let open = Mutex<[UInt64: any Span]>([:])

    func opened(_ connection: UInt64) {
        let span = startSpan("socket connect", context: .topLevel, ofKind: .server)
        open.withLock { $0[connection] = span }
    }

    func accepted(_ connection: UInt64, userID: Int) {
        end(connection, outcome: "accepted") { $0.attributes["parley.user.id"] = userID }
    }

    /// Ends the span of a socket that closed before it was accepted; nothing for one that was.
    func closed(_ connection: UInt64) {
        end(connection, outcome: "closed") { $0.setStatus(.init(code: .error, message: "closed before its account was claimed")) }
    }

    /// Runs one batch step in a span linked to the connect spans of `connections`.
    func batch(_ name: String, of connections: [UInt64], _ step: () async -> Void) async {
        let links = open.withLock { spans in connections.compactMap { spans[$0]?.context } }
        await withSpan(name, context: .topLevel, ofKind: .internal) { span in
            for context in links { span.addLink(SpanLink(context: context, attributes: [:])) }
            span.attributes["parley.sockets"] = connections.count
            await step()
        }
    }

    private func end(_ connection: UInt64, outcome: String, _ annotate: (any Span) -> Void) {
        guard let span = open.withLock({ $0.removeValue(forKey: connection) }) else { return }
        span.attributes["parley.connect.outcome"] = outcome
        annotate(span)
        span.end()
    }
}
