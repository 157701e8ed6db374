import NIOCore

/// How the node speaks to one socket from any thread: commands travel down the socket's pipeline
/// as user events, so the socket's own handler acts on them on its event loop.
struct SocketHandle: Sendable, Hashable {
    /// Unique on this node for the process's lifetime.
    let id: UInt64
    /// The socket's pipeline, not its `any Channel`: the gateway holds one handle per socket, and an
    /// existential is five words where this is one.
    let pipeline: ChannelPipeline

    init(id: UInt64, channel: any Channel) {
        self.id = id
        self.pipeline = channel.pipeline
    }

    enum Command {
        case send(ServerFrame)
        /// Send the `fail` frame, then close with its code.
        case close(SocketCloseReason)
        /// Close with 1001 and no `fail` frame: this node is going away, the client should reconnect
        /// elsewhere (API.md §5).
        case goAway
        /// Close with 1013: the node cannot serve sockets right now (a dependency is down).
        case tryAgainLater
    }

    func send(_ frame: ServerFrame) { pipeline.triggerUserOutboundEvent(Command.send(frame), promise: nil) }

    /// Sends `frame`; the future succeeds once it is written to the connection, and fails when the
    /// socket is closing or was dropped for not reading.
    func write(_ frame: ServerFrame) -> EventLoopFuture<Void> {
        let promise = pipeline.eventLoop.makePromise(of: Void.self)
        pipeline.triggerUserOutboundEvent(Command.send(frame), promise: promise)
        return promise.futureResult
    }
    func close(_ reason: SocketCloseReason) { pipeline.triggerUserOutboundEvent(Command.close(reason), promise: nil) }
    func goAway() { pipeline.triggerUserOutboundEvent(Command.goAway, promise: nil) }
    func tryAgainLater() { pipeline.triggerUserOutboundEvent(Command.tryAgainLater, promise: nil) }

    static func == (lhs: SocketHandle, rhs: SocketHandle) -> Bool { lhs.id == rhs.id }
    func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// What a socket tells the node about itself.
protocol SocketLifecycleDelegate: Sendable {
    /// `false` while the node drains: upgrades are then refused with 503, so a balancer retries
    /// another node instead of the client bouncing off this one.
    var isAcceptingSockets: Bool { get }
    /// The upgrade completed; `token` is the `token` query parameter, if any, `address` the
    /// client's IP address, and `acknowledges` whether it asked for acknowledged delivery (`ack=1`).
    func socketOpened(_ socket: SocketHandle, token: String?, address: IPAddress?, acknowledges: Bool)
    /// An acknowledging socket received every inbox frame through `seq`.
    func socketAcknowledged(_ socket: SocketHandle, through seq: Int)
    /// The socket is gone, whoever closed it.
    func socketClosed(_ socket: SocketHandle)
}
