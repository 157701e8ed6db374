import Foundation

/// What travels on an account's channel (`{prefix}user:{id}`).
///
/// `supersede` events are written by the Lua scripts in ``ClusterScripts``; `push` events by
/// ``AccountChannel/push(_:to:)``.
struct UserEvent: Codable, Sendable, Equatable {
    enum Kind: String, Codable {
        /// Every socket of the account older than `generation` closes with `reason`.
        case supersede
        /// A frame for the account's live socket.
        case push
        /// Messages wait in PostgreSQL for the account: the node holding its socket sends them.
        case deliver
    }

    var type: Kind
    var reason: String?
    var generation: Int64?
    /// When the event was published, in ms since 1970 (Redis's clock), for the kick latency.
    var sent: Int64?
    /// For `push`: the frame kind (`updateApplyList`, `ok`, `recall`).
    var frame: String?
    /// For `push`: the frame's `data`, as JSON text.
    var data: String?

    static func push(_ frame: ServerFrame) -> UserEvent {
        switch frame {
        case .updateApplyList: UserEvent(type: .push, frame: "updateApplyList")
        case .chatMessage(let json): UserEvent(type: .push, frame: "ok", data: json)
        case .recall(let json): UserEvent(type: .push, frame: "recall", data: json)
        case .fail: preconditionFailure("a fail frame is never pushed: sockets close through supersede events")
        }
    }

    /// The frame a `push` event carries.
    var pushedFrame: ServerFrame? {
        guard type == .push else { return nil }
        switch (frame, data) {
        case ("updateApplyList", _): return .updateApplyList
        case ("ok", let data?): return .chatMessage(json: data)
        case ("recall", let data?): return .recall(json: data)
        default: return nil
        }
    }

    /// The close reason of a `supersede` event.
    var supersession: (generation: Int64, reason: SocketCloseReason)? {
        guard type == .supersede, let generation, let reason = reason.flatMap(SocketCloseReason.init(rawValue:)) else { return nil }
        return (generation, reason)
    }
}
