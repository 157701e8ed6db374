import Foundation

/// A server→client text frame: `{"msg": <kind>, "data": <payload>}`.
///
/// The client treats any unknown `msg` as a chat message, so these are the only kinds the server
/// ever sends (API.md §5).
public enum ServerFrame: Sendable, Equatable {
    /// A chat message (`{"msg":"ok","data":<Message>}`), already encoded as JSON.
    case chatMessage(json: String)
    /// A recalled message, already encoded as JSON.
    case recall(json: String)
    case updateApplyList
    /// Sent right before the server closes the socket.
    case fail(SocketCloseReason)

    /// The frame's UTF-8 JSON text.
    public var text: String {
        switch self {
        case .chatMessage(let json): #"{"msg":"ok","data":\#(json)}"#
        case .recall(let json): #"{"msg":"recall","data":\#(json)}"#
        case .updateApplyList: #"{"msg":"updateApplyList","data":""}"#
        case .fail(let reason):
            #"{"msg":"fail","data":"\#(reason.text)","code":"\#(reason.code)"}"#
        }
    }
}
