import Foundation
import Logging
import NIOCore
import Synchronization

/// Hands an account's inbox to its live socket, in order, from the account's delivery cursor on.
///
/// Two kinds of socket (docs/api.md §7):
/// - **The old client's** (`/ws?token=…`): an entry counts as delivered once written to the
///   connection, and the cursor moves past it right after. A connection that died silently loses
///   those frames from the push; the client finds them again through `/chat/sync`.
/// - **An acknowledging socket** (`/ws?token=…&ack=1`): frames carry their `seq`, the client
///   acknowledges them (cumulatively), and only an acknowledgement moves the cursor. What was sent
///   and not acknowledged is sent again to the next socket. At most ``AcknowledgementWindows/size``
///   frames wait unacknowledged.
///
/// Either way nothing is deleted: the inbox keeps every entry (history), and the cursor says where
/// the push resumes after a reconnect, a lost nudge or a node's death. A batch is read only while
/// the socket's session is still active, so a socket whose kick was lost takes nothing meant for
/// the account's new session.
///
/// A batch is written in chunks of at most ``chunkSize`` bytes, each waited for before the next: the
/// connection never holds more than the socket handler's high-water mark because of a backlog, so a
/// slow reader drains it at its own pace instead of being dropped.
///
/// One pass per account at a time keeps the order (``DeliveryPasses``); a nudge during a pass asks
/// for another, to the recipient it names. The caller runs the passes (``run(userID:from:)``) and
/// the recording of acknowledgements (``runAcknowledgements()``), so they belong to its task group.
final class MessageCourier: Sendable {
    static let batchSize = 100
    /// Half the socket handler's 64 KiB high-water mark: a chunk plus the largest frame (a 4,000-character
    /// message with 4 KiB of options, escaped) stays under it.
    static let chunkSize = 32 * 1024

    /// Where a pass writes: a socket, the session it authenticated with, and whether it acknowledges.
    struct Recipient: Sendable, Equatable {
        var socket: SocketHandle
        var sessionID: UUID
        var acknowledges: Bool
    }

    private let inbox: InboxStore
    private let logger: Logger
    private let passes = Mutex(DeliveryPasses<Recipient>())
    private let windows: Mutex<AcknowledgementWindows<SocketHandle>>
    /// Acknowledged numbers on their way to the delivery cursors, many accounts per statement.
    private let acknowledgements = BatchQueue<(userID: Int, seq: Int)>()

    init(inbox: InboxStore, windowSize: Int = 256, logger: Logger) {
        self.inbox = inbox
        self.windows = Mutex(AcknowledgementWindows(size: windowSize))
        self.logger = logger
    }

    /// A nudge: what waits for `userID` should go to `recipient`. Returns the recipient to start a
    /// pass with, or `nil` when a pass is under way (its next batch goes to `recipient`).
    func request(userID: Int, via recipient: Recipient) -> Recipient? {
        passes.withLock { $0.request(userID: userID, socket: recipient) }
    }

    /// `socket` acknowledged its frames through `seq`; returns whether a pass should start for it
    /// (its window had stopped delivery).
    func acknowledged(userID: Int, socket: SocketHandle, through seq: Int) -> Bool {
        let (delivered, resume) = windows.withLock { $0.acknowledged(userID: userID, socket: socket, through: seq) }
        if let delivered { acknowledgements.append((userID, delivered)) }
        return resume
    }

    func socketClosed(userID: Int, socket: SocketHandle) {
        windows.withLock { $0.socketClosed(userID: userID, socket: socket) }
    }

    /// Records acknowledgements in the delivery cursors until ``finish()``. One that cannot be
    /// recorded is let go: its frames are sent again to the account's next socket, not lost.
    func runAcknowledgements() async {
        await acknowledgements.run(maximumBatch: 1000) { batch in
            do {
                try await inbox.recordDelivery(batch)
            } catch {
                logger.notice("Cannot record acknowledgements; their frames will be sent again", metadata: ["accounts": "\(batch.count)", "error": "\(error)"])
            }
        }
    }

    func finish() {
        acknowledgements.finish()
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
        /// Nothing more waits, or the socket's window is full.
        case done
        /// The socket could not be written to (it closed).
        case failed
        /// The socket's session ended: nothing was written.
        case sessionEnded

        var stopsThisRecipient: Bool { self == .failed || self == .sessionEnded }
    }

    /// One batch: read, write in chunks, then move the cursor (for a socket that does not acknowledge).
    private func batch(userID: Int, to recipient: Recipient) async throws -> BatchOutcome {
        let socket = recipient.socket
        var (after, room) = (0, Self.batchSize)
        if recipient.acknowledges {
            (after, room) = windows.withLock { $0.room(userID: userID, socket: socket) }
            guard room > 0 else { return .done }
        }
        let limit = min(room, Self.batchSize)
        guard let (cursor, entries) = try await inbox.pending(for: userID, session: recipient.sessionID, after: after, limit: limit) else {
            return .sessionEnded
        }
        guard let last = entries.last else { return .done }
        let frames = try entries.compactMap { try $0.frame(numbered: recipient.acknowledges) }
        if recipient.acknowledges {
            windows.withLock { $0.sending(userID: userID, socket: socket, through: last.seq, cursor: cursor) }
            try await Self.write(frames, to: socket)
        } else {
            try await Self.write(frames, to: socket)
            try await inbox.recordDelivery([(userID, last.seq)])
        }
        return entries.count == limit ? .more : .done
    }

    /// Writes `frames` in order, waiting for each chunk to be taken by the connection before the next.
    private static func write(_ frames: [ServerFrame], to socket: SocketHandle) async throws {
        for chunk in chunks(sizes: frames.map(\.byteCount), limit: chunkSize) {
            for index in chunk.dropLast() { socket.send(frames[index]) }
            // Frames leave in order, so the last one written means all were.
            try await socket.write(frames[chunk.upperBound - 1]).get()
        }
    }

    /// Consecutive runs of the frames of `sizes` bytes, each at most `limit` bytes (a larger frame
    /// alone).
    static func chunks(sizes: [Int], limit: Int) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, size) in sizes.enumerated() {
            if index > start, bytes + size > limit {
                chunks.append(start..<index)
                (start, bytes) = (index, 0)
            }
            bytes += size
        }
        if start < sizes.count { chunks.append(start..<sizes.count) }
        return chunks
    }
}
