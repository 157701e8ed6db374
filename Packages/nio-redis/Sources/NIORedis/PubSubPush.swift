import NIOCore

/// An out-of-band reply on a subscriber connection (RESP2 pub/sub mode).
///
/// Once a connection has subscribed, every reply is an array tagged by its first
/// element; these are not matched FIFO against commands but routed to the subscriber.
enum PubSubPush: Equatable {
    case message(channel: String, payload: ByteBuffer)
    case subscribed(channel: String)
    case unsubscribed(channel: String)
    /// Reply to `PING <token>`, used as an ordering barrier.
    case pong(ByteBuffer)

    init?(_ value: RESPValue) {
        guard case .array(let items) = value, let kind = items.first?.string else { return nil }
        switch (kind, items.count) {
        case ("message", 3):
            guard let channel = items[1].string, let payload = items[2].buffer else { return nil }
            self = .message(channel: channel, payload: payload)
        case ("subscribe", 3):
            guard let channel = items[1].string else { return nil }
            self = .subscribed(channel: channel)
        case ("unsubscribe", 3):
            guard let channel = items[1].string else { return nil }
            self = .unsubscribed(channel: channel)
        case ("pong", 2):
            self = .pong(items[1].buffer ?? ByteBuffer())
        default:
            return nil
        }
    }
}
