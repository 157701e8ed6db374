import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy to a Redis server that can make its existing connections go
/// silent (server → client bytes dropped, connection left open): a
/// deterministic stand-in for a subscriber that stops receiving after a failover.
final class BlackholeProxy: @unchecked Sendable {
    private let channel: any Channel
    private let switches = NIOLockedValueBox<[NIOLockedValueBox<Bool>]>([])

    var port: Int { channel.localAddress!.port! }
    var url: String { "redis://127.0.0.1:\(port)/0" }

    init(upstreamPort: Int) throws {
        let switches = self.switches
        self.channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in
                let silent = NIOLockedValueBox(false)
                switches.withLockedValue { $0.append(silent) }
                let fromServer = Forwarder(silent: silent)
                let fromClient = Forwarder(silent: NIOLockedValueBox(false))
                return ClientBootstrap(group: client.eventLoop)
                    .channelInitializer { server in server.pipeline.addHandler(fromServer) }
                    .connect(host: "127.0.0.1", port: upstreamPort)
                    .flatMap { server in
                        fromServer.peer = client
                        fromClient.peer = server
                        return client.pipeline.addHandler(fromClient).flatMap {
                            client.setOption(.autoRead, value: true)
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    /// Existing connections stop delivering server replies; new connections are unaffected.
    func silenceExistingConnections() {
        switches.withLockedValue { switches in
            for silent in switches { silent.withLockedValue { $0 = true } }
        }
    }

    func close() throws {
        try channel.close().wait()
    }

    private final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var peer: (any Channel)?
        let silent: NIOLockedValueBox<Bool>

        init(silent: NIOLockedValueBox<Bool>) { self.silent = silent }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !silent.withLockedValue({ $0 }) else { return }
            peer?.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer?.close(promise: nil)
        }
    }
}
