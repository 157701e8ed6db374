import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ParleyService

/// A connection's first request on the pipeline `GatewayChildChannel.setup` builds, on an embedded
/// channel: the bytes a client sends in, the bytes it gets back, and what the node's task is told.
@Suite("GatewayUpgradeHandler")
struct GatewayUpgradeHandlerTests {
    let channel = EmbeddedChannel()
    let recorder = SocketHandlerTests.Recorder()
    let upgradeResult: EventLoopFuture<GatewayChildChannel.UpgradeResult>

    init() throws {
        let gateway = GatewayChildChannel(
            responder: { _, _, _ in },
            delegate: recorder,
            timings: SocketTimings(),
            connectionGuard: ConnectionGuard(trustedProxies: .none, requestHeadTimeout: .seconds(5), idleTimeout: .seconds(5), limit: 0)
        )
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        upgradeResult = try gateway.setup(channel: channel, logger: Logger(label: "test")).wait().upgradeResult
    }

    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func sentText() throws -> String? {
        try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
    }

    func result() -> Result<GatewayChildChannel.UpgradeResult, any Error>? {
        var outcome: Result<GatewayChildChannel.UpgradeResult, any Error>?
        upgradeResult.assumeIsolated().whenComplete { outcome = $0 }
        return outcome
    }

    func hasHandler<Handler: ChannelHandler>(_ type: Handler.Type) -> Bool {
        (try? channel.pipeline.syncOperations.context(handlerType: type)) != nil
    }

    static let handshake = "GET /ws?token=abc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    @Test func aHandshakeIsAnsweredWithSwitchingProtocolsAndTheSocketServesFrames() throws {
        try send(Self.handshake)
        let response = try #require(try sentText())
        #expect(response.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(response.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        #expect(response.hasSuffix("\r\n\r\n"))
        guard case .success(.socket) = result() else { Issue.record("not upgraded: \(String(describing: result()))"); return }
        #expect(recorder.opened.withLock { $0 } == ["abc"])

        channel.embeddedEventLoop.run()  // NIO removes the HTTP decoder on the next tick
        #expect(!hasHandler(ByteToMessageHandler<HTTPRequestDecoder>.self))
        #expect(!hasHandler(HTTPResponseEncoder.self))
        #expect(!hasHandler(GatewayUpgradeHandler.self))
        // A masked ping with payload "hi" is answered with an unmasked pong carrying it.
        try channel.writeInbound(ByteBuffer(bytes: [0x89, 0x82, 1, 2, 3, 4, UInt8(ascii: "h") ^ 1, UInt8(ascii: "i") ^ 2]))
        var pong = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { pong.writeBuffer(&part) }
        #expect(Array(pong.readableBytesView) == [0x8A, 0x02, UInt8(ascii: "h"), UInt8(ascii: "i")])
    }

    @Test func aPlainRequestIsHandedToTheRouterWithItsHead() throws {
        try send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        guard case .success(.notUpgraded) = result() else { Issue.record("not handed on: \(String(describing: result()))"); return }
        #expect(!hasHandler(GatewayUpgradeHandler.self))
        #expect(hasHandler(HTTPResponseEncoder.self))
        #expect(recorder.opened.withLock { $0 }.isEmpty)
    }

    @Test func aHandshakeOnAnotherPathIsDeclined() throws {
        try send(Self.handshake.replacingOccurrences(of: "/ws?", with: "/elsewhere?"))
        guard case .success(.declined) = result() else { Issue.record("not declined: \(String(describing: result()))"); return }
        #expect(try sentText() == nil, "no 101")
        #expect(recorder.opened.withLock { $0 }.isEmpty)
    }

    @Test func aFirstRequestThatIsNotHTTPClosesTheConnection() throws {
        _ = try? send("\u{16}\u{03}\u{01} not HTTP at all\r\n\r\n")
        guard case .failure = result() else { Issue.record("not failed: \(String(describing: result()))"); return }
        #expect(!channel.isActive)
    }

    @Test func aHandshakeWhoseRequestNeverEndsIsClosedAtTheHeadDeadline() throws {
        try send(Self.handshake.replacingOccurrences(of: "\r\n\r\n", with: "\r\nTransfer-Encoding: chunked\r\n\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive && result() == nil, "waits for the end of the request")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        guard case .failure = result() else { Issue.record("not failed: \(String(describing: result()))"); return }
    }

    @Test func aConnectionClosedBeforeItsRequestFailsTheResult() throws {
        try send("GET /ws?tok")
        #expect(result() == nil, "waits for the rest of the head")
        _ = try? channel.close().wait()
        guard case .failure = result() else { Issue.record("not failed: \(String(describing: result()))"); return }
    }
}
