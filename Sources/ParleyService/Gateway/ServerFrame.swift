import Foundation

/// A server→client text frame: `{"msg": <kind>, "data": <payload>}`.
///
/// The client treats any unknown `msg` as a chat message, so these are the only kinds the server
/// sends to it (API.md §5); a socket that acknowledges (`/ws?ack=1`, docs/api.md §7) also gets
/// `read` frames, and each of its inbox frames carries its `seq`.
enum ServerFrame: Sendable, Equatable {
    /// A chat message (`{"msg":"ok","data":<Message>}`), already encoded as JSON.
    case chatMessage(json: String)
    /// A recalled message, already encoded as JSON.
    case recall(json: String)
    case updateApplyList
    /// An inbox entry with its number, `{"seq":N,"msg":…,"data":…}`, already encoded as JSON: what
    /// a socket that acknowledges receives, `read` entries included.
    case numbered(json: String)
    /// Sent right before the server closes the socket.
    case fail(SocketCloseReason)

    /// The frame's UTF-8 JSON text.
    var text: String {
        switch self {
        case .chatMessage(let json): Self.chatMessagePrefix + json + "}"
        case .recall(let json): Self.recallPrefix + json + "}"
        case .updateApplyList: #"{"msg":"updateApplyList","data":""}"#
        case .numbered(let json): json
        case .fail(let reason):
            #"{"msg":"fail","data":"\#(reason.text)","code":"\#(reason.code)"}"#
        }
    }

    /// The length of ``text`` in UTF-8 bytes, without building it: a delivery pass plans its writes
    /// by it, and the socket's handler builds the text once, when it writes it.
    var byteCount: Int {
        switch self {
        case .chatMessage(let json): Self.chatMessagePrefix.utf8.count + json.utf8.count + 1
        case .recall(let json): Self.recallPrefix.utf8.count + json.utf8.count + 1
        case .numbered(let json): json.utf8.count
        case .updateApplyList, .fail: text.utf8.count
        }
    }

    private static let chatMessagePrefix = #"{"msg":"ok","data":"#
    private static let recallPrefix = #"{"msg":"recall","data":"#
}
