import NIOCore

/// Every socket of the account older than `generation` closes with `reason`: a newer socket took
/// the account, or a login, logout or disable revoked its session.
///
/// A supersession reaches the node holding the socket three ways, in one encoding: published on the
/// account's channel (`{p}user:{id}`), queued in that node's inbox (`{p}node:{node}:inbox`) in case
/// the message is lost, and answered by ``ClusterScripts/restore`` for the sockets superseded while
/// Redis had forgotten the node. The Lua function `supersession` (``ClusterScripts``) writes it,
/// ``init(wire:)`` reads it:
///
///     supersede|{user id}|{generation}|{reason}|{sent}
///
/// `reason` is a ``SocketCloseReason`` raw value; `sent` is empty when unknown. Every kick is parsed
/// on the receiving node's hot path, hence a fixed text format rather than JSON; its leading
/// `supersede|` tells it from the JSON ``UserEvent``s on the same channel.
struct Supersession: Sendable, Equatable {
    var userID: Int
    var generation: Int64
    var reason: SocketCloseReason
    /// When it was published, in ms since 1970 on Redis's clock, for the kick latency; `nil` from
    /// ``ClusterScripts/restore``, since Redis keeps no time with an account's generation.
    var sent: Int64?

    /// Parses the encoding above; `nil` for anything else (a ``UserEvent``, a malformed entry).
    init?(wire: ByteBuffer) {
        let fields = wire.readableBytesView.split(separator: UInt8(ascii: "|"), maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].elementsEqual("supersede".utf8),
            let userID = Int(Self.text(fields[1])),
            let generation = Int64(Self.text(fields[2])),
            let reason = SocketCloseReason(rawValue: Self.text(fields[3]))
        else { return nil }
        let sentText = Self.text(fields[4])
        let sent = Int64(sentText)
        guard sent != nil || sentText.isEmpty else { return nil }
        self.init(userID: userID, generation: generation, reason: reason, sent: sent)
    }

    init(userID: Int, generation: Int64, reason: SocketCloseReason, sent: Int64? = nil) {
        self.userID = userID
        self.generation = generation
        self.reason = reason
        self.sent = sent
    }

    private static func text(_ field: ByteBufferView) -> String {
        String(decoding: field, as: UTF8.self)
    }
}
