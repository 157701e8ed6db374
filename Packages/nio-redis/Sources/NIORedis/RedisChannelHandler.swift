import Logging
import NIOCore

/// The thin I/O layer of one Redis connection.
///
/// Encodes commands, parses replies with ``HiredisReader`` and lets
/// ``CommandQueueStateMachine`` decide which caller a reply belongs to. On a
/// subscriber connection (`onPush` set) pub/sub pushes bypass the queue.
///
/// Confined to its channel's event loop: every method must be called there
/// (hence `@unchecked Sendable`, which only lets closures scheduled on that
/// same loop capture it).
final class RedisChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var queue = CommandQueueStateMachine<EventLoopPromise<RESPValue>>()
    private let reader = HiredisReader()
    private let onPush: ((PubSubPush) -> Void)?
    /// Called for every reply and push: the connection is alive.
    private let onActivity: (() -> Void)?
    private let logger: Logger
    private var context: ChannelHandlerContext?
    /// Commands written since the last flush; sent with one write per event-loop tick
    /// so that many concurrent callers share a syscall (pipelining).
    private var outbound: ByteBuffer?
    private var closeWhenIdle = false

    init(logger: Logger, onPush: ((PubSubPush) -> Void)? = nil, onActivity: (() -> Void)? = nil) {
        self.logger = logger
        self.onPush = onPush
        self.onActivity = onActivity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Commands

    /// Sends a command; `promise` gets its reply, a ``RedisError``, or a ``RedisClientError``.
    func send(_ arguments: [any RESPArgument], timeout: TimeAmount, promise: EventLoopPromise<RESPValue>) {
        guard let context, !closeWhenIdle else {
            promise.fail(RedisClientError.connectionClosed)
            return
        }
        switch queue.enqueue(promise, deadline: .now() + timeout) {
        case .fail:
            promise.fail(RedisClientError.connectionClosed)
        case .write(let timer):
            if let timer { arm(timer, context: context) }
            write(arguments, context: context)
        }
    }

    /// Sends a command whose replies arrive as pub/sub pushes (SUBSCRIBE, UNSUBSCRIBE, PING in pub/sub mode).
    func sendWithoutReply(_ arguments: [any RESPArgument]) {
        guard let context, !queue.isClosed else { return }
        write(arguments, context: context)
    }

    /// Stops accepting commands and closes the channel once every outstanding
    /// command has its reply (or has timed out).
    func closeGracefully() {
        closeWhenIdle = true
        closeIfIdleRequested()
    }

    private func write(_ arguments: [any RESPArgument], context: ChannelHandlerContext) {
        if outbound == nil {
            outbound = context.channel.allocator.buffer(capacity: 256)
            context.eventLoop.execute { self.flushOutbound() }
        }
        outbound!.writeRESPCommand(arguments)
    }

    private func flushOutbound() {
        guard let buffer = outbound.take(), let context else { return }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// The connection's one command timer (``CommandQueueStateMachine``).
    private func arm(_ deadline: NIODeadline, context: ChannelHandlerContext) {
        context.eventLoop.scheduleTask(deadline: deadline) { self.timerFired(deadline: deadline) }
    }

    private func timerFired(deadline: NIODeadline) {
        let action = queue.timerFired(deadline: deadline, now: .now())
        for promise in action.timedOut {
            promise.fail(RedisClientError.timeout)
        }
        if action.close {
            logger.warning("too many commands timed out without a reply; closing the connection")
            context?.close(promise: nil)
        } else if let next = action.armTimer, let context {
            arm(next, context: context)
        }
        closeIfIdleRequested()
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.feed(unwrapInboundIn(data))
            while let reply = try reader.next() {
                deliver(reply, context: context)
            }
        } catch {
            logger.error("closing connection after a protocol error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func deliver(_ reply: RESPValue, context: ChannelHandlerContext) {
        onActivity?()
        if let onPush, let push = PubSubPush(reply) {
            onPush(push)
            return
        }
        switch queue.replyReceived(reply) {
        case .fulfil(let promise, let result):
            promise.completeWith(result.mapError { $0 as any Error })
        case .discard:
            break
        case .unexpected:
            logger.error("unexpected reply; closing connection", metadata: ["reply": "\(reply)"])
            context.close(promise: nil)
        }
        closeIfIdleRequested()
    }

    func channelInactive(context: ChannelHandlerContext) {
        outbound = nil
        for promise in queue.closed() {
            promise.fail(RedisClientError.connectionClosed)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func closeIfIdleRequested() {
        if closeWhenIdle, !queue.hasWaitingCallers {
            context?.close(promise: nil)
        }
    }
}
