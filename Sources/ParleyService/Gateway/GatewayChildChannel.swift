import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization
import HTTPTypes

/// The server child channel of a Parley node: `GET /ws` upgrades become gateway sockets, served by
/// plain channel handlers; every other request goes to Hummingbird's router.
///
/// `handle(value:)` returns at once for an upgraded socket, so no Swift task stays parked per
/// connection: a task per socket costs several times a socket's memory (README, "Sockets without
/// a task each").
struct GatewayChildChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case socket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A WebSocket upgrade was asked for and declined (``WebSocketHandshake/declined``): answered
        /// here (503 while draining, else 400) and the connection closed.
        case declined(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let sockets: SocketSettings
    /// Per-address connection limits, timeouts, and whose `X-Real-IP` to believe.
    let connectionGuard: ConnectionGuard
    private static let nextSocketID = Atomic<UInt64>(1)

    /// Small receive buffers from a connection's first read on: an idle socket keeps the buffer its
    /// upgrade request was read into (BENCHMARKS.md, fix 7). HTTP connections grow their buffers
    /// after a full read.
    static let receiveBuffer = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 64 * 1024)
    /// Past this much unsent output the client counts as not reading (see ``SocketHandler``).
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 16 * 1024, high: 64 * 1024)

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        delegate: any SocketLifecycleDelegate,
        timings: SocketTimings,
        connectionGuard: ConnectionGuard
    ) {
        self.responder = responder
        self.sockets = SocketSettings(delegate: delegate, timings: timings)
        self.connectionGuard = connectionGuard
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let peer = channel.remoteAddress.flatMap(IPAddress.init)
        guard connectionGuard.admit(channel, peer: peer) else {
            NodeMetrics.connectionDropped("per_address")
            logger.debug("Connection refused: its address holds PARLEY_CONNECTIONS_PER_ADDRESS already", metadata: ["address": "\(peer?.text ?? "?")"])
            channel.close(promise: nil)
            // A failed setup would be an error on the listening channel: the value carries it instead.
            let refused: EventLoopFuture<UpgradeResult> = channel.eventLoop.makeFailedFuture(ConnectionRefused())
            return channel.eventLoop.makeSucceededFuture(Value(upgradeResult: refused, channel: channel))
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveBuffer)
            // A first request that has not arrived whole in time (a client trickling bytes, or a
            // handshake that never ends) ends the connection; HTTPConnectionStateHandler's idle
            // timeout takes over once it is handed to the router.
            // No close callback cancels it: one more closure per socket for its whole life, where a
            // connection that closed early only keeps the timer until it fires.
            let headDeadline = channel.eventLoop.scheduleTask(in: connectionGuard.requestHeadTimeout) {
                guard channel.isActive else { return }
                NodeMetrics.connectionDropped("head_timeout")
                channel.close(promise: nil)
            }
            // Pipelining off (NIOAsyncChannel serialises HTTP requests), no error handler (Hummingbird
            // answers errors), no header validation (swift-http-types validates).
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init()
            )
            let result = channel.eventLoop.makePromise(of: UpgradeResult.self)
            try channel.pipeline.syncOperations.addHandler(
                GatewayUpgradeHandler(gateway: self, peer: peer, headDeadline: headDeadline, logger: logger, result: result)
            )
            return Value(upgradeResult: result.futureResult, channel: channel)
        }
    }

    /// Makes `channel` a gateway socket (API.md §5): every socket is accepted first, and a refused
    /// one gets its `fail` frame after the upgrade, as the client expects.
    func installSocket(on channel: any Channel, head: HTTPRequestHead, peer: IPAddress?) throws {
        let handle = SocketHandle(id: Self.nextSocketID.add(1, ordering: .relaxed).oldValue, channel: channel)
        try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.writeBufferWaterMark)
        // The channel keeps a receive buffer per read of a burst for its whole life; a chat socket
        // reads small frames, and one buffer, grown as needed, serves them (BENCHMARKS.md, fix 21).
        try channel.syncOptions?.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
        try SocketHandler.install(
            on: channel,
            handle: handle,
            token: UpgradeQuery.value(of: "token", in: head.uri),
            address: connectionGuard.trustedProxies.clientAddress(peer: peer, realIP: head.headers.first(name: "X-Real-IP")),
            acknowledges: UpgradeQuery.value(of: "ack", in: head.uri) == "1",
            settings: sockets
        )
    }

    /// Hummingbird's HTTP handlers on `channel`, behind NIO's HTTP/1 codec, for the router.
    func serveHTTP(on channel: any Channel, logger: Logger) throws -> NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart> {
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: connectionGuard.idleTimeout, logger: logger))
        return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .socket:
                return  // the socket lives on in its channel handlers
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .declined(let http):
                try await answerDeclinedUpgrade(http)
            }
        } catch {
            logger.debug("Connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }

    private func answerDeclinedUpgrade(_ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) async throws {
        let code: ErrorCode = sockets.delegate.isAcceptingSockets ? .badRequest : .unavailable
        let body = try JSONWriter.encode(FailureBody(data: code.text(in: .chinese), code: code.code))
        try await http.executeThenClose { _, outbound in
            let head = HTTPResponse(
                status: code.status,
                headerFields: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.count), .connection: "close"]
            )
            try await outbound.write(contentsOf: [.head(head), .body(ByteBuffer(bytes: body)), .end(nil)])
        }
    }

    /// The connection was closed at once by ``ConnectionGuard``.
    struct ConnectionRefused: Error {}
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Parley's WebSocket gateway on `/ws`.
    static func parley(
        delegate: any SocketLifecycleDelegate,
        timings: SocketTimings,
        connectionGuard: ConnectionGuard
    ) -> HTTPServerBuilder {
        .init { responder in
            GatewayChildChannel(responder: responder, delegate: delegate, timings: timings, connectionGuard: connectionGuard)
        }
    }
}
