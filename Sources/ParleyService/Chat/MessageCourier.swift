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
/// One pass per account at a time keeps the order; a nudge during a pass asks for another.
final class MessageCourier: Sendable {
    static let batchSize = 100

    private let messages: MessageStore
    private let logger: Logger
    /// Accounts with a pass under way, and whether another pass was asked for meanwhile.
    private let passes = Mutex<[Int: Bool]>([:])

    init(messages: MessageStore, logger: Logger) {
        self.messages = messages
        self.logger = logger
    }

    /// Sends what waits for `userID` to `socket`.
    func deliver(to userID: Int, via socket: SocketHandle) {
        let start = passes.withLock { passes -> Bool in
            if passes[userID] != nil {
                passes[userID] = true
                return false
            }
            passes[userID] = false
            return true
        }
        if start {
            Task { await self.run(userID: userID, socket: socket) }
        }
    }

    private func run(userID: Int, socket: SocketHandle) async {
        while true {
            let more: Bool
            do {
                more = try await pass(userID: userID, socket: socket)
            } catch {
                logger.notice("Delivery stopped; the frames wait for the next connect", metadata: ["user.id": "\(userID)", "error": "\(error)"])
                passes.withLock { $0[userID] = nil }
                return
            }
            let again = passes.withLock { passes -> Bool in
                if more || passes[userID] == true {
                    passes[userID] = false
                    return true
                }
                passes[userID] = nil
                return false
            }
            if !again { return }
        }
    }

    /// One batch: write in order, wait for the last write, then acknowledge. Returns whether the
    /// batch was full (more may wait).
    private func pass(userID: Int, socket: SocketHandle) async throws -> Bool {
        let batch = try await messages.pending(for: userID, limit: Self.batchSize)
        guard let last = batch.last else { return false }
        for (_, frame) in batch.dropLast() { socket.send(frame) }
        // Frames leave in order, so the last one written means all were.
        try await socket.write(last.frame).get()
        try await messages.acknowledge(batch.map(\.deliveryID))
        return batch.count == Self.batchSize
    }
}
