import NIOCore

/// What a client says on its socket. Only acknowledging sockets are listened to (docs/api.md §7);
/// the old client's frames are ignored, as the old backend ignored them (API.md §5).
enum ClientFrame: Equatable {
    /// `{"type":"ack","seq":N}`: every inbox frame through `seq` arrived.
    case acknowledge(seq: Int)

    /// The frame `text` holds, or `nil` for anything else: a frame this node does not know is
    /// ignored rather than closing the socket, so a newer client can talk to an older node.
    init?(_ text: ByteBuffer) {
        guard case .object(let members) = try? JSONParser.parse(text.readableBytesView),
            members["type"] == .string("ack"), case .integer(let seq) = members["seq"], seq >= 0
        else { return nil }
        self = .acknowledge(seq: Int(seq))
    }
}
