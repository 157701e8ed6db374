import FuzzSupport
import NIOCore
import NIOWebSocket
@testable import ParleyParsers

/// The frames a client may send, as NIO's decoder hands them to the socket handler (at most
/// `maxFrameSize` bytes each; reserved opcodes never get through).
private let opcodes: [WebSocketOpcode] = [.continuation, .text, .binary, .ping, .pong, .connectionClose]

/// A sequence of frames into `FrameAggregator`, checked against what its contract promises: whole
/// messages of exactly the bytes sent, at most `maximumMessageSize` of them, text only when it is
/// UTF-8; fragments out of order are a protocol error. The first violation closes the socket, so
/// the frames after it are not fed.
///
/// A frame is a header byte (bits 0–2 the opcode, bit 3 FIN, bit 4 masked), a length byte (below
/// 128: that many payload bytes follow; else a payload of (length − 128) × 64 copies of the next
/// byte, so that short inputs reach the size limit), then the masking key when masked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(fuzzBytes(start, count))
    var aggregator = FrameAggregator()
    var message: [UInt8]?  // the payloads since the current message's first frame
    var messageIsText = false
    while !input.isAtEnd {
        let frame = nextFrame(&input)
        let outcome = aggregator.receive(frame)
        let payload = Array(frame.unmaskedData.readableBytesView)
        switch frame.opcode {
        case .text, .binary:
            guard message == nil else {
                return expect(outcome, .violation(.protocolError), "a new message inside a fragmented one")
            }
            message = payload
            messageIsText = frame.opcode == .text
        case .continuation:
            guard message != nil else {
                return expect(outcome, .violation(.protocolError), "a continuation without a message")
            }
            message! += payload
        default:
            expect(outcome, .incomplete, "a control frame")
            continue
        }
        let bytes = message!
        let fits = bytes.count <= FrameAggregator.maximumMessageSize
        // Decoding repairs every invalid sequence, so only valid UTF-8 comes back unchanged.
        var isValidText: Bool { Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes }
        switch outcome {
        case .incomplete:
            precondition(!frame.fin && fits, "\(bytes.count) bytes still incomplete, FIN \(frame.fin)")
        case .message(let data, let isText):
            precondition(frame.fin && isText == messageIsText && Array(data.readableBytesView) == bytes && fits && (!isText || isValidText),
                         "message(\(data.readableBytes) bytes, isText: \(isText)) for \(bytes.count) bytes, text \(messageIsText)")
            message = nil
        case .violation(.messageTooLarge):
            precondition(!fits, "messageTooLarge for \(bytes.count) bytes")
            return 0
        case .violation(.dataInconsistentWithMessage):
            precondition(frame.fin && fits && messageIsText && !isValidText, "valid text refused")
            return 0
        case .violation(let code):
            preconditionFailure("violation \(code) for a well-ordered message of \(bytes.count) bytes")
        }
    }
    return 0
}

private func nextFrame(_ input: inout FuzzInput) -> WebSocketFrame {
    let header = input.byte()
    let length = input.byte()
    var payload = ByteBuffer()
    if length < 128 {
        payload.writeBytes(input.bytes(upTo: Int(length)))
    } else {
        payload.writeRepeatingByte(input.byte(), count: min(Int(length - 128) * 64, FrameAggregator.maximumMessageSize))
    }
    let maskKey = header & 0x10 != 0 ? WebSocketMaskingKey([input.byte(), input.byte(), input.byte(), input.byte()]) : nil
    return WebSocketFrame(fin: header & 0x08 != 0, opcode: opcodes[Int(header & 0x07) % opcodes.count], maskKey: maskKey, data: payload)
}

@discardableResult
private func expect(_ outcome: FrameAggregator.Outcome, _ expected: FrameAggregator.Outcome, _ what: String) -> CInt {
    precondition(outcome == expected, "\(what): \(outcome), expected \(expected)")
    return 0
}
