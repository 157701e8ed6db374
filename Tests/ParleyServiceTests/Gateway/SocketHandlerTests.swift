import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing
@testable import ParleyService

/// One socket's handler on an embedded channel with a virtual clock: what the client sees.
@Suite("SocketHandler")
struct SocketHandlerTests {
    final class Recorder: SocketLifecycleDelegate {
        let opened = Mutex<[String?]>([])
        let closed = Mutex(0)
        let acknowledged = Mutex<[Int]>([])
        var isAcceptingSockets: Bool { true }
        func socketOpened(_ socket: SocketHandle, token: String?, address: IPAddress?, acknowledges: Bool) { opened.withLock { $0.append(token) } }
        func socketAcknowledged(_ socket: SocketHandle, through seq: Int) { acknowledged.withLock { $0.append(seq) } }
        func socketClosed(_ socket: SocketHandle) { closed.withLock { $0 += 1 } }
    }

    let channel = EmbeddedChannel()
    let recorder = Recorder()

    init() throws {
        let handle = SocketHandle(id: 1, channel: channel)
        try SocketHandler.install(
            on: channel, handle: handle, token: "abc", address: IPAddress("127.0.0.1"), acknowledges: false,
            settings: SocketSettings(delegate: recorder, timings: SocketTimings())
        )
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    func receive(_ opcode: WebSocketOpcode, _ bytes: [UInt8] = [], fin: Bool = true) throws {
        try channel.writeInbound(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes)))
    }

    func sent() throws -> WebSocketFrame? {
        try channel.readOutbound(as: WebSocketFrame.self)
    }

    func closeCode(of frame: WebSocketFrame?) -> UInt16? {
        guard let frame, frame.opcode == .connectionClose else { return nil }
        var data = frame.data
        return data.readInteger(as: UInt16.self)
    }

    @Test func tellsTheNodeItsToken() {
        #expect(recorder.opened.withLock { $0 } == ["abc"])
    }

    @Test func answersPingsWithTheirPayload() throws {
        try receive(.ping, [1, 2, 3])
        let pong = try #require(try sent())
        #expect(pong.opcode == .pong)
        #expect(Array(pong.data.readableBytesView) == [1, 2, 3])
    }

    /// Counts the reads that reach the transport.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Never
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// A ping flood from a client that never reads: past the outbound high-water mark the socket stops
    /// reading (so no more pongs pile up) until the client takes what it was sent.
    @Test func readsNothingWhileTheClientTakesNothing() throws {
        let counter = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(counter, position: .first)
        channel.read()
        #expect(counter.reads == 1)

        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try receive(.ping, [1])
        channel.read()
        #expect(counter.reads == 1, "no read while the output is over its limit")

        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 2, "the withheld read goes out once the client catches up")
        channel.read()
        #expect(counter.reads == 3)
    }

    @Test func ignoresClientMessages() throws {
        try receive(.text, Array("hello".utf8))
        try receive(.binary, [0, 1, 2])
        try receive(.text, Array(#"{"type":"ack","seq":3}"#.utf8))
        #expect(try sent() == nil)
        #expect(channel.isActive)
        #expect(recorder.acknowledged.withLock { $0 }.isEmpty, "the old client's socket is not listened to")
    }

    /// A socket opened with `ack=1` reports its acknowledgements and still ignores anything else.
    @Test func anAcknowledgingSocketReportsItsAcknowledgements() throws {
        let acknowledging = EmbeddedChannel()
        try SocketHandler.install(
            on: acknowledging, handle: SocketHandle(id: 2, channel: acknowledging), token: "abc", address: nil, acknowledges: true,
            settings: SocketSettings(delegate: recorder, timings: SocketTimings())
        )
        _ = try acknowledging.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        for text in [#"{"type":"ack","seq":3}"#, #"{"type":"typing"}"#, "hello", #"{"type":"ack","seq":9}"#] {
            try acknowledging.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        }
        try acknowledging.writeInbound(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: #"{"type":"ack","seq":11}"#)))
        #expect(recorder.acknowledged.withLock { $0 } == [3, 9])
        #expect(acknowledging.isActive)
        _ = try acknowledging.finish()
    }

    @Test func closesWith1009WhenFragmentsExceed4KiB() throws {
        try receive(.text, [UInt8](repeating: 65, count: 3000), fin: false)
        #expect(try sent() == nil)
        try receive(.continuation, [UInt8](repeating: 65, count: 2000), fin: true)
        #expect(closeCode(of: try sent()) == 1009)
    }

    /// NIO's frame decoder reports an oversized frame as an error; the handler answers it with 1009
    /// and ends the connection.
    @Test func answersTheDecodersProtocolErrorsWithTheirCloseCode() throws {
        channel.pipeline.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
        #expect(closeCode(of: try sent()) == 1009)
        #expect(!channel.isActive)
    }

    @Test func acceptsAFragmentedMessageUnderTheLimit() throws {
        try receive(.text, [UInt8](repeating: 65, count: 2000), fin: false)
        try receive(.continuation, [UInt8](repeating: 65, count: 2000), fin: true)
        #expect(try sent() == nil)
    }

    @Test func closesWith1007OnInvalidUTF8() throws {
        try receive(.text, [0xC3, 0x28])
        #expect(closeCode(of: try sent()) == 1007)
    }

    @Test func pingsEvery30SecondsAndClosesAfter90OfSilence() throws {
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(try sent()?.opcode == .ping)
        try receive(.pong)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(try sent()?.opcode == .ping)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(try sent()?.opcode == .ping)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(closeCode(of: try sent()) == 1000)
    }

    @Test func aCloseCommandSendsTheFailFrameThenItsCloseCode() throws {
        try channel.triggerUserOutboundEvent(SocketHandle.Command.close(.kicked)).wait()
        let fail = try #require(try sent())
        #expect(String(buffer: fail.data) == #"{"msg":"fail","data":"你的账号在其他设备登录","code":"kicked"}"#)
        #expect(closeCode(of: try sent()) == 4409)
        // Frames after the close are not sent, and their writers learn it.
        #expect(throws: ChannelError.outputClosed) {
            try channel.triggerUserOutboundEvent(SocketHandle.Command.send(.updateApplyList)).wait()
        }
        #expect(try sent() == nil)
        // The client's close frame ends the connection.
        try receive(.connectionClose, [0x11, 0x99])
        #expect(!channel.isActive)
        #expect(recorder.closed.withLock { $0 } == 1)
    }

    @Test func theCloseHandshakeTimesOut() throws {
        try channel.triggerUserOutboundEvent(SocketHandle.Command.goAway).wait()
        #expect(closeCode(of: try sent()) == 1001)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(!channel.isActive)
    }

    @Test func aClientCloseIsEchoed() throws {
        try receive(.connectionClose, [0x03, 0xE8])
        #expect(closeCode(of: try sent()) == 1000)
        #expect(!channel.isActive)
    }

    @Test func pushesFrames() throws {
        try channel.triggerUserOutboundEvent(SocketHandle.Command.send(.updateApplyList)).wait()
        let frame = try #require(try sent())
        #expect(frame.opcode == .text)
        #expect(String(buffer: frame.data) == #"{"msg":"updateApplyList","data":""}"#)
    }

    @Test func aClientThatStopsReadingIsDroppedNotBuffered() throws {
        channel.isWritable = false
        #expect(throws: ChannelError.outputClosed) {
            try channel.triggerUserOutboundEvent(SocketHandle.Command.send(.updateApplyList)).wait()
        }
        #expect(try sent() == nil)
        #expect(!channel.isActive)
    }
}
