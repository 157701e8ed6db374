import ArgumentParser
import Crypto
import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The bare NIO WebSocket server, the limit for Parley's sockets: the same 256-byte first receive
/// buffer and 256 backlog as a Parley node, and nothing else (no auth, no presence): text frames are
/// echoed, pings answered, close frames echoed.
///
/// Three ways to upgrade: NIO's typed upgrader (`.nio`, the storm's limit since it was set); one
/// handler that answers the handshake in the read that ends its request (`.lean`), as a Parley
/// node's `GatewayUpgradeHandler` has done since fix 33 (BENCHMARKS.md): what any NIO server pays
/// per upgrade at the least; and that handler behind Hummingbird's `Server` (`.hummingbird`), as a
/// node's port is served: what Hummingbird's accept loop and its task per connection add.
enum EchoServer {
    enum Upgrader: String, ExpressibleByArgument, CaseIterable {
        case nio, lean, hummingbird
    }

    static let receiveBuffer = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 64 * 1024)

    static func run(host: String, port: Int, upgrader: Upgrader) async throws {
        if upgrader == .hummingbird {
            return try await runThroughHummingbird(host: host, port: port)
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.recvAllocator, value: receiveBuffer)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if upgrader == .nio { try configureTypedUpgrade(channel) } else { try configureLeanUpgrade(channel) }
                }
            }
            .bind(host: host, port: port).get()
        log("echo-server (\(upgrader.rawValue) upgrade) listening on \(host):\(port)")
        try await channel.closeFuture.get()
    }

    private static func configureTypedUpgrade(_ channel: any Channel) throws {
        let upgrader = NIOTypedWebSocketServerUpgrader<Bool>(
            maxFrameSize: 4096,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                    return true
                }
            }
        )
        let configuration = NIOTypedHTTPServerUpgradeConfiguration<Bool>(
            upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
                channel.close(promise: nil)
                return channel.eventLoop.makeSucceededFuture(false)
            }
        )
        _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
            configuration: .init(upgradeConfiguration: configuration)
        )
    }

    private static func configureLeanUpgrade(_ channel: any Channel, ended: EventLoopPromise<Void>? = nil) throws {
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false, withEncoderConfiguration: .init()
        )
        try channel.pipeline.syncOperations.addHandler(LeanUpgradeHandler(ended: ended))
    }

    /// Hummingbird's `Server` with the node's backlog, handing each connection to a task that waits
    /// for its upgrade, as `GatewayChildChannel.handle(value:)` does.
    private static func runThroughHummingbird(host: String, port: Int) async throws {
        var logger = Logger(label: "echo-server")
        logger.logLevel = .warning
        let server = Server(
            childChannelSetup: HummingbirdChildChannel(),
            configuration: ServerConfiguration(address: .hostname(host, port: port), backlog: 256),
            onServerRunning: { _ in log("echo-server (hummingbird upgrade) listening on \(host):\(port)") },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
        try await server.run()
    }

    private struct HummingbirdChildChannel: ServerChildChannel {
        struct Value: ServerChildChannelValue {
            let upgradeEnded: EventLoopFuture<Void>
            let channel: any Channel
        }

        func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            channel.eventLoop.makeCompletedFuture {
                try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: EchoServer.receiveBuffer)
                let ended = channel.eventLoop.makePromise(of: Void.self)
                try configureLeanUpgrade(channel, ended: ended)
                return Value(upgradeEnded: ended.futureResult, channel: channel)
            }
        }

        func handle(value: Value, logger: Logger) async {
            try? await value.upgradeEnded.get()
        }
    }
}

/// Answers a WebSocket handshake once its request has ended: the HTTP codec out, `101` written as
/// bytes, the WebSocket codec and ``EchoHandler`` in, itself out. No checks beyond the key's
/// presence: this is a limit, not a server.
final class LeanUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private static let guid = Array("258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8)
    private var key: String?
    /// Completed when this handler leaves the pipeline: upgraded, or the connection closed first.
    private let ended: EventLoopPromise<Void>?

    init(ended: EventLoopPromise<Void>? = nil) {
        self.ended = ended
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ended?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            key = head.headers.first(name: "sec-websocket-key")
        case .body:
            break
        case .end:
            guard let key else { return context.close(promise: nil) }
            do {
                let pipeline = context.pipeline.syncOperations
                try pipeline.removeHandler(context: pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
                try pipeline.removeHandler(context: pipeline.context(handlerType: HTTPResponseEncoder.self), promise: nil)
                var response = context.channel.allocator.buffer(capacity: 128)
                response.writeString(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(Self.acceptValue(forKey: key))\r\n\r\n"
                )
                context.writeAndFlush(wrapOutboundOut(response), promise: nil)
                try pipeline.addHandlers(WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 4096)), EchoHandler())
                pipeline.removeHandler(context: context, promise: nil)
            } catch {
                context.close(promise: nil)
            }
        }
    }

    private static func acceptValue(forKey key: String) -> String {
        var hash = Insecure.SHA1()
        hash.update(data: Array(key.utf8) + guid)
        return Data(hash.finalize()).base64EncodedString()
    }
}

final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)))
                .whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// The limit for the kick: a bare Redis PUBLISH → subscriber receive round trip, over two raw
/// RESP connections (no client library in between).
enum RedisRoundTrip {
    final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let at = nowNanos()
            let buffer = unwrapInboundIn(data)
            inbox.put(String(buffer: buffer), at: at)
        }
        func channelInactive(context: ChannelHandlerContext) { inbox.close() }
    }

    static func command(_ parts: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("*\(parts.count)\r\n")
        for part in parts { buffer.writeString("$\(part.utf8.count)\r\n\(part)\r\n") }
        return buffer
    }

    static func connect(_ endpoint: Endpoint, inbox: Inbox) async throws -> Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Reader(inbox: inbox)) }
            }
            .connect(host: endpoint.host, port: endpoint.port).get()
    }

    /// `rounds` sequential PUBLISH → message round trips.
    static func measure(_ endpoint: Endpoint, rounds: Int) async throws -> Samples {
        let subscriberInbox = Inbox(), publisherInbox = Inbox()
        let subscriber = try await connect(endpoint, inbox: subscriberInbox)
        let publisher = try await connect(endpoint, inbox: publisherInbox)
        defer { subscriber.close(promise: nil); publisher.close(promise: nil) }
        let channelName = "bench:rtt:\(Accounts.randomTag())"
        try await subscriber.writeAndFlush(command(["SUBSCRIBE", channelName]))
        guard let confirmation = await subscriberInbox.next(timeout: .seconds(5)), confirmation.text.contains("subscribe") else {
            throw BenchError("no SUBSCRIBE confirmation from Redis at \(endpoint)")
        }
        var samples = Samples()
        for round in 0..<rounds {
            let message = command(["PUBLISH", channelName, "kick-\(round)"])
            let start = nowNanos()
            try await publisher.writeAndFlush(message)
            guard let received = await subscriberInbox.next(timeout: .seconds(5)) else { throw BenchError("Redis message lost") }
            samples.add(nanos: Int64(received.at) - Int64(start))
            _ = await publisherInbox.next(timeout: .seconds(5))  // the PUBLISH reply
        }
        return samples
    }
}
