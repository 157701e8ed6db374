import NIOCore
import NIOWebSocket

/// Reassembles fragmented client messages and applies the gateway's limits: at most
/// ``maximumMessageSize`` bytes per message, text that is valid UTF-8.
///
/// Control frames (ping, pong, close) are not its business; the socket handler answers those.
struct FrameAggregator {
    static let maximumMessageSize = 4 * 1024

    enum Outcome: Equatable {
        /// More fragments are expected.
        case incomplete
        /// A whole message arrived: only acknowledging sockets read it (docs/api.md §7), others
        /// ignore it, as the old backend did.
        case message(ByteBuffer, isText: Bool)
        /// The socket must be closed with this code.
        case violation(WebSocketErrorCode)
    }

    /// The fragments so far; `nil` between messages, so an idle socket holds no buffer.
    private var pending: ByteBuffer?
    private var pendingIsText = false

    mutating func receive(_ frame: WebSocketFrame) -> Outcome {
        switch frame.opcode {
        case .text, .binary:
            guard pending == nil else { return .violation(.protocolError) }  // a new message inside a fragmented one
            if frame.fin {
                return complete(frame.unmaskedData, isText: frame.opcode == .text)
            }
            pending = frame.unmaskedData
            pendingIsText = frame.opcode == .text
            return checkSize()
        case .continuation:
            guard var buffer = pending else { return .violation(.protocolError) }
            var data = frame.unmaskedData
            pending = nil
            buffer.writeBuffer(&data)
            guard buffer.readableBytes <= Self.maximumMessageSize else { return .violation(.messageTooLarge) }
            if frame.fin { return complete(buffer, isText: pendingIsText) }
            pending = buffer
            return .incomplete
        default:
            return .incomplete
        }
    }

    private func checkSize() -> Outcome {
        (pending?.readableBytes ?? 0) <= Self.maximumMessageSize ? .incomplete : .violation(.messageTooLarge)
    }

    private func complete(_ message: ByteBuffer, isText: Bool) -> Outcome {
        guard message.readableBytes <= Self.maximumMessageSize else { return .violation(.messageTooLarge) }
        if isText, String(validating: message.readableBytesView, as: UTF8.self) == nil {
            return .violation(.dataInconsistentWithMessage)
        }
        return .message(message, isText: isText)
    }
}
