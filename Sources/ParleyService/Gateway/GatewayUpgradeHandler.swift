import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Reads a connection's first request and turns the connection into a gateway socket or hands it
/// to Hummingbird's HTTP handlers, all on the channel's event loop in the read that brought the
/// request.
///
/// NIO's typed upgrader does the same through a chain of a dozen futures per connect, which with
/// their generic-metadata lookups were about a seventh of a node's CPU per connect (BENCHMARKS.md,
/// fix 33); this handler completes one promise.
final class GatewayUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingHead
        /// A WebSocket handshake to answer once its request has ended.
        case upgrading(HTTPRequestHead, accept: String)
        case handedOn
    }

    private let gateway: GatewayChildChannel
    private let peer: IPAddress?
    private let headDeadline: Scheduled<Void>
    private let logger: Logger
    private let result: EventLoopPromise<GatewayChildChannel.UpgradeResult>
    private var state = State.awaitingHead

    init(
        gateway: GatewayChildChannel,
        peer: IPAddress?,
        headDeadline: Scheduled<Void>,
        logger: Logger,
        result: EventLoopPromise<GatewayChildChannel.UpgradeResult>
    ) {
        self.gateway = gateway
        self.peer = peer
        self.headDeadline = headDeadline
        self.logger = logger
        self.result = result
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (state, unwrapInboundIn(data)) {
        case (.awaitingHead, .head(let head)):
            switch WebSocketHandshake(head: head, acceptingSockets: gateway.sockets.delegate.isAcceptingSockets) {
            case .notAsked:
                handOnToHTTP(context: context, firstPart: data, declined: false)
            case .declined:
                handOnToHTTP(context: context, firstPart: data, declined: true)
            case .accept(let accept):
                state = .upgrading(head, accept: accept)
            }
        case (.upgrading(let head, let accept), .end):
            upgrade(context: context, head: head, accept: accept)
        case (.upgrading, _), (.awaitingHead, _):
            // A body on a handshake, or a request that did not begin with its head.
            fail(context: context, HTTPServerUpgradeErrors.invalidHTTPOrdering)
        case (.handedOn, _):
            context.fireChannelRead(data)
        }
    }

    /// A first request NIO's decoder could not parse: no HTTP handler is there yet to answer it.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .awaitingHead = state, let event = event as? ChannelEvent, event == .inputClosed {
            // The client half-closed before sending a whole request: there is none to answer.
            return fail(context: context, ChannelError.inputClosed)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Every way out removes this handler: handed on, upgraded, failed, or the connection closed.
    func handlerRemoved(context: ChannelHandlerContext) {
        headDeadline.cancel()
        guard case .handedOn = state else {
            // The connection closed before its first request was read.
            return result.fail(ChannelError.inappropriateOperationForState)
        }
    }

    /// Installs Hummingbird's HTTP handlers behind this one, passes the request on to them, and
    /// leaves the pipeline.
    private func handOnToHTTP(context: ChannelHandlerContext, firstPart: NIOAny, declined: Bool) {
        do {
            let http = try gateway.serveHTTP(on: context.channel, logger: logger)
            state = .handedOn
            result.succeed(declined ? .declined(http) : .notUpgraded(http))
            context.fireChannelRead(firstPart)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            fail(context: context, error)
        }
    }

    /// Swaps the HTTP handlers for the WebSocket ones and answers `101`, then leaves the pipeline.
    ///
    /// The HTTP decoder stopped parsing at the end of this request (an upgrade), and NIO removes it
    /// on a later tick of the loop: bytes a client sent before reading the `101` are dropped with
    /// it, as RFC 6455 §4.1 forbids sending them.
    private func upgrade(context: ChannelHandlerContext, head: HTTPRequestHead, accept: String) {
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.removeHandler(context: pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
            try pipeline.removeHandler(context: pipeline.context(handlerType: HTTPResponseEncoder.self), promise: nil)
            context.writeAndFlush(wrapOutboundOut(WebSocketHandshake.switchingProtocols(accept: accept, allocator: context.channel.allocator)), promise: nil)
            // No WebSocketProtocolErrorHandler: the socket's own handler answers protocol errors.
            try pipeline.addHandlers(
                WebSocketFrameEncoder(),
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: FrameAggregator.maximumMessageSize))
            )
            try gateway.installSocket(on: context.channel, head: head, peer: peer)
            state = .handedOn
            result.succeed(.socket)
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            fail(context: context, error)
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        state = .handedOn
        result.fail(error)
        context.close(promise: nil)
    }
}
