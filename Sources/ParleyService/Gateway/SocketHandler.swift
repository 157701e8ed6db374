import Logging
import NIOCore
import NIOWebSocket

/// One WebSocket after the upgrade: answers pings, applies the size and UTF-8 rules, pings the
/// client and drops it after ``SocketTimings/silenceLimit`` of silence, writes the node's frames
/// and performs the close handshake.
///
/// It is a plain channel handler, no Swift task per socket: a chat node's capacity is its memory
/// per idle socket, and a parked task costs several times what this handler does. For the same
/// reason its pings come from its event loop's ``KeepAliveWheel``, not from a timer of its own, it
/// never holds what the upgrade brought (the token, the address: ``install(on:handle:token:address:acknowledges:settings:)``
/// hands them to the gateway), and it keeps no handle on its close timeout.
final class SocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// We sent a close frame and wait for the client's (or the timeout, which is not cancelled:
        /// firing on a closed connection does nothing).
        case closing
        case closed
    }

    private let handle: SocketHandle
    private let settings: SocketSettings
    private var state = State.open
    private var aggregator = FrameAggregator()
    private var lastHeard = NIODeadline.uptimeNanoseconds(0)
    /// A read the pipeline asked for while the outbound buffer was over its high-water mark.
    private var isReadWithheld = false
    /// The client asked for acknowledged delivery (`/ws?ack=1`): its acknowledgements are read.
    /// (Beside the other flag: one byte of padding, not a word of its own, per idle socket.)
    private let acknowledges: Bool
    /// Set while the handler is in the pipeline, for the wheel's visits.
    private var context: ChannelHandlerContext?
    private var keepAliveWheel: KeepAliveWheel?
    /// Maintained by the wheel.
    var keepAlivePosition: KeepAliveWheel.Position?

    /// Private: ``install(on:handle:token:address:acknowledges:settings:)`` is the one way in, so a
    /// handler never serves a socket the gateway was not told of.
    private init(handle: SocketHandle, acknowledges: Bool, settings: SocketSettings) {
        self.handle = handle
        self.acknowledges = acknowledges
        self.settings = settings
    }

    /// Serves the upgraded `channel` with a new handler, then tells the gateway the socket opened
    /// with what its upgrade request carried: `token` and `address` go straight on, and an idle
    /// socket's handler keeps no room for them (BENCHMARKS.md, fix 30). On the channel's event loop.
    static func install(
        on channel: any Channel,
        handle: SocketHandle,
        token: String?,
        address: IPAddress?,
        acknowledges: Bool,
        settings: SocketSettings
    ) throws {
        try channel.pipeline.syncOperations.addHandler(SocketHandler(handle: handle, acknowledges: acknowledges, settings: settings))
        settings.delegate.socketOpened(handle, token: token, address: address, acknowledges: acknowledges)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastHeard = context.eventLoop.now
        let wheel = settings.keepAliveWheels.wheel(for: context.eventLoop)
        keepAlivePosition = wheel.join(self)
        keepAliveWheel = wheel
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        leaveKeepAliveWheel()
        self.context = nil
    }

    private func leaveKeepAliveWheel() {
        if let keepAliveWheel, let keepAlivePosition {
            keepAliveWheel.leave(at: keepAlivePosition)
        }
        keepAliveWheel = nil
        keepAlivePosition = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        leaveKeepAliveWheel()
        state = .closed
        settings.delegate.socketClosed(handle)
        context.fireChannelInactive()
    }

    // MARK: Client → server

    /// Reads only while the client takes what the node writes: whatever a client sends makes the
    /// node write (pongs, close frames), so one that floods pings and never reads would otherwise grow
    /// the outbound buffer without bound. Past the high-water mark nothing more is read; the kernel's
    /// buffers fill and the client's sends block, and a client that stays that way is silent, so the
    /// keep-alive closes it after ``SocketTimings/silenceLimit``.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            isReadWithheld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, isReadWithheld {
            isReadWithheld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastHeard = context.eventLoop.now
        switch frame.opcode {
        case .ping:
            guard case .open = state else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            receivedClose(context: context, frame: frame)
        default:
            guard case .open = state else { return }
            switch aggregator.receive(frame) {
            case .violation(let code):
                startClosing(context: context, code: code)
            case .message(let text, isText: true) where acknowledges:
                if case .acknowledge(let seq) = ClientFrame(text) {
                    settings.delegate.socketAcknowledged(handle, through: seq)
                }
            case .message, .incomplete:
                break
            }
        }
    }

    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        switch state {
        case .open:
            // The client closes: echo its code, then drop the connection.
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            state = .closing
            context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code, allocator: context.channel.allocator)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .closing:
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    /// The wheel's visit, once per ping interval: a ping, or the close after too long a silence.
    func keepAliveTick() {
        guard case .open = state, let context else { return }
        if context.eventLoop.now - lastHeard >= settings.timings.silenceLimit {
            startClosing(context: context, code: .normalClosure)
        } else {
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
        }
    }

    // MARK: Node → client

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let command = event as? SocketHandle.Command else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        guard case .open = state else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        if case .send(let frame) = command {
            send(frame, context: context, promise: promise)
            return
        }
        promise?.succeed()
        switch command {
        case .send:
            break
        case .close(let reason):
            send(.fail(reason), context: context)
            startClosing(context: context, code: .unknown(reason.closeCode))
        case .goAway:
            startClosing(context: context, code: .goingAway)
        case .tryAgainLater:
            startClosing(context: context, code: .unknown(1013))
        }
    }

    /// Writes a frame, unless the client stopped reading: a socket whose outbound buffer is over the
    /// high-water mark is dropped rather than buffered without bound. Nothing is lost by that —
    /// chat messages wait in PostgreSQL until the client fetches them after reconnecting.
    private func send(_ frame: ServerFrame, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        guard context.channel.isWritable else {
            promise?.fail(ChannelError.outputClosed)
            state = .closed
            context.close(promise: nil)
            return
        }
        let text = frame.text
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: promise)
    }

    private func startClosing(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard case .open = state else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: settings.timings.closeHandshakeTimeout) {
            loopBound.value.close(promise: nil)
        }
        state = .closing
        context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code, allocator: context.channel.allocator)), promise: nil)
    }

    private static func closeFrame(_ code: WebSocketErrorCode, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var data = allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    /// A frame NIO's decoder refused is answered with the close code that says why (1009 for an
    /// oversized frame, 1002 for a malformed one), then the connection ends, as it does on any
    /// other error. Answered here rather than by NIO's `WebSocketProtocolErrorHandler`: a handler
    /// and its pipeline context less per idle socket (BENCHMARKS.md, fix 35).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let protocolError = error as? NIOWebSocketError, case .open = state {
            context.writeAndFlush(wrapOutboundOut(Self.closeFrame(protocolError.closeCode, allocator: context.channel.allocator)), promise: nil)
        }
        state = .closed
        context.close(promise: nil)
    }
}

extension NIOWebSocketError {
    /// The close code RFC 6455 §7.4.1 gives the error.
    fileprivate var closeCode: WebSocketErrorCode {
        switch self {
        case .invalidFrameLength: .messageTooLarge
        case .fragmentedControlFrame, .multiByteControlFrameLength: .protocolError
        }
    }
}
