import DequeModule

/// Matches replies to commands on one connection.
///
/// Redis answers the commands of a connection strictly in order, so replies are
/// matched FIFO. A command that times out keeps its slot (its token is dropped
/// and the caller is failed at once); its late reply is then recognised and
/// discarded, so later replies are never mis-assigned.
///
/// Pure value type: no I/O, no clocks. `Token` is whatever the driver needs to
/// complete a caller (a promise in the channel handler, a number in tests).
struct CommandQueueStateMachine<Token> {
    private struct Slot {
        let id: UInt64
        /// `nil` once the command timed out: its reply will be discarded.
        var token: Token?
    }

    /// Outstanding commands, oldest first; `id`s are strictly increasing.
    private var slots: Deque<Slot> = []
    private var nextID: UInt64 = 0
    private var abandonedCount = 0
    private(set) var isClosed = false

    /// Timed-out slots whose replies are still owed by the server. Past this
    /// many the server is considered stuck and the connection is closed, which
    /// bounds the memory a hung server can make us hold.
    let maxAbandonedSlots: Int

    init(maxAbandonedSlots: Int = 10_000) {
        self.maxAbandonedSlots = maxAbandonedSlots
    }

    /// Whether some caller still waits for a reply (timed-out slots don't count).
    var hasWaitingCallers: Bool { slots.count > abandonedCount }

    enum EnqueueAction {
        /// Write the command; `id` identifies it for ``timedOut(id:)``.
        case write(id: UInt64)
        /// The connection is closed: fail the caller.
        case fail(Token)
    }

    mutating func enqueue(_ token: Token) -> EnqueueAction {
        guard !isClosed else { return .fail(token) }
        let id = nextID
        nextID += 1
        slots.append(Slot(id: id, token: token))
        return .write(id: id)
    }

    enum ReplyAction {
        case fulfil(Token, Result<RESPValue, RedisError>)
        /// The reply belongs to a command that already timed out.
        case discard
        /// A reply nobody asked for: the stream is out of sync, close the connection.
        case unexpected
    }

    mutating func replyReceived(_ reply: RESPValue) -> ReplyAction {
        guard let slot = slots.popFirst() else { return .unexpected }
        guard let token = slot.token else {
            abandonedCount -= 1
            return .discard
        }
        if case .error(let error) = reply {
            return .fulfil(token, .failure(error))
        }
        return .fulfil(token, .success(reply))
    }

    enum TimeoutAction {
        case none
        case fail(Token)
        /// Fail the caller and close the connection (too many abandoned slots).
        case failAndClose(Token)
    }

    mutating func timedOut(id: UInt64) -> TimeoutAction {
        guard let index = index(of: id), let token = slots[index].token else { return .none }
        slots[index].token = nil
        abandonedCount += 1
        return abandonedCount > maxAbandonedSlots ? .failAndClose(token) : .fail(token)
    }

    /// The connection is gone: every outstanding caller must be failed.
    mutating func closed() -> [Token] {
        isClosed = true
        let tokens = slots.compactMap(\.token)
        slots.removeAll()
        abandonedCount = 0
        return tokens
    }

    /// Binary search: ids are appended in increasing order and only removed from the front.
    private func index(of id: UInt64) -> Int? {
        var low = 0
        var high = slots.count
        while low < high {
            let mid = (low + high) / 2
            if slots[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low < slots.count && slots[low].id == id ? low : nil
    }
}
