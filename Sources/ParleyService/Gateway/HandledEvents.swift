import Synchronization

/// How far the gateway has acted on the subscriber's messages (their ``RedisMessage/sequence``),
/// so a connect can wait until every revocation announced before its claim has been applied to the
/// state machine, not merely received.
final class HandledEvents: Sendable {
    private struct State {
        var handled: UInt64 = 0
        var isFinished = false
        var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let state = Mutex(State())

    /// The message numbered `sequence` and every earlier one have been acted on.
    func handled(_ sequence: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.handled = max(state.handled, sequence)
            let ready = state.waiters.filter { $0.sequence <= state.handled }.map(\.continuation)
            state.waiters.removeAll { $0.sequence <= state.handled }
            return ready
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    /// Returns once the message numbered `sequence` has been acted on (`true`), or the messages
    /// ended before (`false`).
    func wait(until sequence: UInt64) async -> Bool {
        await withCheckedContinuation { continuation in
            let answer = state.withLock { state -> Bool? in
                if state.handled >= sequence { return true }
                if state.isFinished { return false }
                state.waiters.append((sequence, continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// No more messages will come: every waiter, now and later, returns `false`.
    func finish() {
        let waiting = state.withLock { state in
            state.isFinished = true
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiting { continuation.resume(returning: false) }
    }
}
