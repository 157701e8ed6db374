import Logging
import NIOCore
import Synchronization

/// Hands the frames waiting in PostgreSQL to an account's live socket, in order.
///
/// A frame counts as **delivered** once it has been written to the socket's connection; its
/// delivery row is deleted right after. Until then it waits in PostgreSQL: if the recipient is
/// offline, if Redis loses the nudge, or if the node dies before writing, the next `getmessage` or
/// connect sends it. A node dying between the write and the delete sends it again (the client can
/// tell by the message id), so nothing accepted is ever lost.
///
/// One pass per account at a time keeps the order (``DeliveryPasses``); a nudge during a pass asks
/// for another, to the socket it names.
final class MessageCourier: Sendable {
    static let batchSize = 100

    private let messages: MessageStore
    private let logger: Logger
    private let passes = Mutex(DeliveryPasses<SocketHandle>())

    init(messages: MessageStore, logger: Logger) {
        self.messages = messages
        self.logger = logger
    }

    /// Sends what waits for `userID` to `socket`.
    func deliver(to userID: Int, via socket: SocketHandle) {
        guard let first = passes.withLock({ $0.request(userID: userID, socket: socket) }) else { return }
        Task { await self.run(userID: userID, socket: first) }
    }

    private func run(userID: Int, socket first: SocketHandle) async {
        var socket = first
        while true {
            var more = false
            var failed = false
            do {
                more = try await batch(userID: userID, socket: socket)
            } catch {
                failed = true
                logger.notice("Delivery to a socket stopped; its frames wait", metadata: ["user.id": "\(userID)", "error": "\(error)"])
            }
            let ended = socket
            guard let next = passes.withLock({ $0.batchEnded(userID: userID, socket: ended, more: more, failed: failed) }) else { return }
            socket = next
        }
    }

    /// One batch: write in order, wait for the last write, then acknowledge. Returns whether the
    /// batch was full (more may wait).
    private func batch(userID: Int, socket: SocketHandle) async throws -> Bool {
        let batch = try await messages.pending(for: userID, limit: Self.batchSize)
        guard let last = batch.last else { return false }
        for (_, frame) in batch.dropLast() { socket.send(frame) }
        // Frames leave in order, so the last one written means all were.
        try await socket.write(last.frame).get()
        try await messages.acknowledge(batch.map(\.deliveryID))
        return batch.count == Self.batchSize
    }
}
