import Foundation

/// What travels on an account's channel (`{prefix}user:{id}`) besides supersessions, which have an
/// encoding of their own (``Supersession``): events from ``AccountChannel/push(_:to:)`` and
/// ``AccountChannel/notifyDeliveries(to:)``, as JSON.
struct UserEvent: Codable, Sendable, Equatable {
    enum Kind: String, Codable {
        /// A frame for the account's live socket.
        case push
        /// Messages wait in PostgreSQL for the account: the node holding its socket sends them.
        case deliver
    }

    var type: Kind
    /// For `push`: the frame kind (`updateApplyList`, `ok`, `recall`).
    var frame: String?
    /// For `push`: the frame's `data`, as JSON text.
    var data: String?

    static func push(_ frame: ServerFrame) -> UserEvent {
        switch frame {
        case .updateApplyList: UserEvent(type: .push, frame: "updateApplyList")
        case .chatMessage(let json): UserEvent(type: .push, frame: "ok", data: json)
        case .recall(let json): UserEvent(type: .push, frame: "recall", data: json)
        case .fail: preconditionFailure("a fail frame is never pushed: sockets close through supersessions")
        case .numbered: preconditionFailure("a numbered frame is never pushed: a delivery pass reads it from the inbox")
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
}
