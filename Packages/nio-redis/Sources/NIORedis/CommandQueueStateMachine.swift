import DequeModule
import NIOCore

/// Matches replies to commands on one connection, and times commands out.
///
/// Redis answers the commands of a connection strictly in order, so replies are
/// matched FIFO. A command that times out keeps its slot (its token is dropped
/// and the caller is failed at once); its late reply is then recognised and
/// discarded, so later replies are never mis-assigned.
///
/// Every slot carries its deadline, and the driver keeps one timer for the
/// connection, armed for the earliest deadline (``EnqueueAction/write(armTimer:)``,
/// ``TimerAction/armTimer``). A timer per command would cost a scheduled task
/// per command and its cancellation per reply, and NIO cancels a scheduled task
/// by searching the event loop's whole timer queue: quadratic in the commands
/// outstanding, seconds for ten thousand of them in a debug build.
///
/// Pure value type: no I/O; time is passed in. `Token` is whatever the driver
/// needs to complete a caller (a promise in the channel handler, a number in tests).
struct CommandQueueStateMachine<Token> {
    private struct Slot {
        /// `nil` once the command timed out: its reply will be discarded.
        var token: Token?
        let deadline: NIODeadline
    }

    /// Outstanding commands, oldest first.
    private var slots: Deque<Slot> = []
    private var abandonedCount = 0
    /// The deadline of the earliest timer the driver armed that has not fired yet.
    private var armedTimer: NIODeadline?
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
        /// Write the command, and arm a timer for `armTimer` when there is one.
        case write(armTimer: NIODeadline?)
        /// The connection is closed: fail the caller.
        case fail(Token)
    }

    mutating func enqueue(_ token: Token, deadline: NIODeadline) -> EnqueueAction {
        guard !isClosed else { return .fail(token) }
        slots.append(Slot(token: token, deadline: deadline))
        return .write(armTimer: arm(deadline))
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

    struct TimerAction {
        /// Callers whose commands passed their deadline: fail them.
        var timedOut: [Token] = []
        /// Too many slots were abandoned: close the connection.
        var close = false
        /// Arm a timer for this deadline.
        var armTimer: NIODeadline?
    }

    /// The timer armed for `deadline` fired at `now`: times out every command past its deadline
    /// and names the next deadline to arm a timer for.
    mutating func timerFired(deadline: NIODeadline, now: NIODeadline) -> TimerAction {
        if armedTimer == deadline { armedTimer = nil }
        var action = TimerAction()
        guard !isClosed else { return action }
        var nextDeadline: NIODeadline?
        for index in slots.indices {
            guard let token = slots[index].token else { continue }
            if slots[index].deadline <= now {
                slots[index].token = nil
                abandonedCount += 1
                action.timedOut.append(token)
            } else {
                nextDeadline = min(nextDeadline ?? slots[index].deadline, slots[index].deadline)
            }
        }
        action.close = abandonedCount > maxAbandonedSlots
        action.armTimer = nextDeadline.flatMap { arm($0) }
        return action
    }

    /// The connection is gone: every outstanding caller must be failed.
    mutating func closed() -> [Token] {
        isClosed = true
        let tokens = slots.compactMap(\.token)
        slots.removeAll()
        abandonedCount = 0
        armedTimer = nil
        return tokens
    }

    /// `deadline`, when no timer is armed for it or earlier (which the caller must then arm).
    private mutating func arm(_ deadline: NIODeadline) -> NIODeadline? {
        if let armedTimer, armedTimer <= deadline { return nil }
        armedTimer = deadline
        return deadline
    }
}
