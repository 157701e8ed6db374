import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Monotonic nanoseconds (the clock NIO's deadlines use).
@inline(__always) func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `http://host:port` split into its parts.
struct Endpoint: Sendable, CustomStringConvertible {
    let host: String
    let port: Int

    init(_ url: String) throws {
        var rest = Substring(url)
        for scheme in ["http://", "ws://", "redis://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        let parts = rest.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw BenchError("cannot read host:port in \(url)") }
        host = String(parts[0])
        self.port = port
    }

    var description: String { "\(host):\(port)" }
}

/// The text frames a socket received, with their arrival times, for one waiting reader.
final class Inbox: @unchecked Sendable {
    private let lock = NIOLock()
    private var items: [(text: String, at: UInt64)] = []
    private var waiter: (id: Int, continuation: CheckedContinuation<(text: String, at: UInt64)?, Never>)?
    private var nextWaiter = 0
    private(set) var isClosed = false

    func put(_ text: String, at: UInt64) {
        let waiting: CheckedContinuation<(text: String, at: UInt64)?, Never>? = lock.withLock {
            if let waiter { self.waiter = nil; return waiter.continuation }
            items.append((text, at))
            return nil
        }
        waiting?.resume(returning: (text, at))
    }

    func close() {
        let waiting = lock.withLock { () -> CheckedContinuation<(text: String, at: UInt64)?, Never>? in
            isClosed = true
            defer { waiter = nil }
            return waiter?.continuation
        }
        waiting?.resume(returning: nil)
    }

    /// The next frame, or nil when the socket closed or nothing came within `timeout`.
    func next(timeout: Duration) async -> (text: String, at: UInt64)? {
        let id = lock.withLock { nextWaiter += 1; return nextWaiter }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let waiting = lock.withLock { () -> CheckedContinuation<(text: String, at: UInt64)?, Never>? in
                guard let waiter, waiter.id == id else { return nil }
                self.waiter = nil
                return waiter.continuation
            }
            waiting?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let immediate: (text: String, at: UInt64)?? = lock.withLock {
                if !items.isEmpty { return .some(items.removeFirst()) }
                if isClosed { return .some(nil) }
                waiter = (id, continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }
}

/// Client side of one upgraded socket: text frames go to the inbox, pings are answered (masked).
final class WebSocketClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let inbox: Inbox?

    init(inbox: Inbox?) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let at = nowNanos()
            var payload = frame.unmaskedData
            inbox?.put(payload.readString(length: payload.readableBytes) ?? "", at: at)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox?.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A connected client socket: its channel, the time its upgrade completed, its frames.
struct ClientSocket: Sendable {
    let channel: Channel
    let upgradedAt: UInt64
    let inbox: Inbox?

    func close() { channel.close(promise: nil) }

    /// Sends `text` as a masked text frame, as a client must.
    func send(_ text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }
}

enum WebSocketClient {
    /// Opens `ws://endpoint/path` (optionally from a given local address) and completes once the
    /// server answered 101. `keepFrames: false` saves the inbox for sockets nobody reads (idle).
    static func connect(
        to endpoint: Endpoint, path: String, from source: String? = nil, keepFrames: Bool = true,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ClientSocket {
        let inbox = keepFrames ? Inbox() : nil
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(.seconds(30))
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let upgradeResult: EventLoopFuture<Upgraded?> = try await bootstrap.connect(host: endpoint.host, port: endpoint.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<Upgraded?>(
                    maxFrameSize: 1 << 16,
                    upgradePipelineHandler: { channel, _ in
                        let at = nowNanos()
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(WebSocketClientHandler(inbox: inbox))
                            return Upgraded(channel: channel, at: at)
                        }
                    }
                )
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
                headers.add(name: "Content-Length", value: "0")
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgraded?>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(nil) }
                )
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: .init(upgradeConfiguration: configuration)
                )
            }
        }
        guard let upgraded = try await upgradeResult.get() else { throw BenchError("\(endpoint)\(path.prefix(4)): not upgraded") }
        return ClientSocket(channel: upgraded.channel, upgradedAt: upgraded.at, inbox: inbox)
    }

    struct Upgraded: Sendable {
        let channel: Channel
        let at: UInt64
    }
}
