import Foundation
import Logging
import NIOCore
import Synchronization

/// Hands the frames waiting in PostgreSQL to an account's live socket, in order.
///
/// A frame counts as **delivered** once it has been written to the socket's connection; its
/// delivery row is deleted right after. Until then it waits in PostgreSQL: if the recipient is
/// offline, if Redis loses the nudge, or if the node dies before writing, the next `getmessage` or
/// connect sends it. A node dying between the write and the delete sends it again (the client can
/// tell by the message id), so nothing accepted is ever lost. A batch is read only while the
/// socket's session is still active, so a socket whose kick was lost takes nothing meant for the
/// account's new session.
///
/// One pass per account at a time keeps the order (``DeliveryPasses``); a nudge during a pass asks
/// for another, to the recipient it names. The caller runs the passes (``run(userID:from:)``), so
/// they belong to its task group.
final class MessageCourier: Sendable {
    static let batchSize = 100

    /// Where a pass writes: a socket, and the session it authenticated with.
    struct Recipient: Sendable, Equatable {
        var socket: SocketHandle
        var sessionID: UUID
    }

    private let messages: MessageStore
    private let logger: Logger
    private let passes = Mutex(DeliveryPasses<Recipient>())

    init(messages: MessageStore, logger: Logger) {
        self.messages = messages
        self.logger = logger
    }

    /// A nudge: what waits for `userID` should go to `recipient`. Returns the recipient to start a
    /// pass with, or `nil` when a pass is under way (its next batch goes to `recipient`).
    func request(userID: Int, via recipient: Recipient) -> Recipient? {
        passes.withLock { $0.request(userID: userID, socket: recipient) }
    }

    /// Runs the pass that ``request(userID:via:)`` started, until nothing waits. Returns the sockets
    /// found on a session that ended: they must close, and their frames wait for the next socket.
    func run(userID: Int, from first: Recipient) async -> [SocketHandle] {
        var recipient = first
        var sessionsEnded: [SocketHandle] = []
        while true {
            var outcome = BatchOutcome.done
            do {
                outcome = try await batch(userID: userID, to: recipient)
            } catch {
                outcome = .failed
                logger.notice("Delivery to a socket stopped; its frames wait", metadata: ["user.id": "\(userID)", "error": "\(error)"])
            }
            if outcome == .sessionEnded { sessionsEnded.append(recipient.socket) }
            let ended = recipient
            let next = passes.withLock {
                $0.batchEnded(userID: userID, socket: ended, more: outcome == .more, failed: outcome.stopsThisRecipient)
            }
            guard let next else { return sessionsEnded }
            recipient = next
        }
    }

    private enum BatchOutcome {
        /// A full batch was written: more may wait.
        case more
        case done
        /// The socket could not be written to (it closed).
        case failed
        /// The socket's session ended: nothing was written.
        case sessionEnded

        var stopsThisRecipient: Bool { self == .failed || self == .sessionEnded }
    }

    /// One batch: write in order, wait for the last write, then acknowledge.
    private func batch(userID: Int, to recipient: Recipient) async throws -> BatchOutcome {
        guard let batch = try await messages.pending(for: userID, session: recipient.sessionID, limit: Self.batchSize) else {
            return .sessionEnded
        }
        guard let last = batch.last else { return .done }
        for (_, frame) in batch.dropLast() { recipient.socket.send(frame) }
        // Frames leave in order, so the last one written means all were.
        try await recipient.socket.write(last.frame).get()
        try await messages.acknowledge(batch.map(\.deliveryID))
        return batch.count == Self.batchSize ? .more : .done
    }
}
