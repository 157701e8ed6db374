import NIOCore
import NIOPosix
import Synchronization

/// `body` did not finish within its deadline.
struct DeadlineExceeded: Error {}

/// Runs `body` in a task of its own and answers what it returns or throws, or ``DeadlineExceeded``
/// once `duration` has passed, whichever comes first. At the deadline `body` is cancelled and left
/// to end in the background: the caller stops waiting even for a body that ignores cancellation —
/// a postgres-nio query written to a connection closing under it is never answered at all, and
/// waiting for it hung a fresh clone's test run (2026-12-02). Cancelling the caller cancels
/// `body` and waits for it, still at most until the deadline.
func withDeadline<Result: Sendable>(
    _ duration: Duration,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = FirstOutcome<Result>()
    let task = Task {
        do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
    }
    let watch = DeadlineClock.shared.watch(for: duration) {
        // Settled before the cancel: a body that fails at once on it (a pool lease ending with
        // CancellationError) must not answer first with an error that does not say "deadline".
        outcome.settle(.failure(DeadlineExceeded()))
        task.cancel()
    }
    defer { DeadlineClock.shared.release(watch) }
    return try await withTaskCancellationHandler {
        try await withUnsafeThrowingContinuation { outcome.deliver(to: $0) }
    } onCancel: {
        task.cancel()
    }
}

/// The first of several racing outcomes, handed to one waiting continuation exactly once, whether
/// the outcome or the waiter comes first.
final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case pending
        case waiting(UnsafeContinuation<Value, any Error>)
        case settled(Result<Value, any Error>)
        case delivered
    }

    private let state = Mutex(State.pending)

    /// Records `outcome` unless one came before; resumes the waiter if it is already there.
    func settle(_ outcome: Result<Value, any Error>) {
        let waiter: UnsafeContinuation<Value, any Error>? = state.withLock { state in
            switch state {
            case .pending:
                state = .settled(outcome)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .settled, .delivered:
                return nil
            }
        }
        waiter?.resume(with: outcome)
    }

    /// Resumes `continuation` with the first outcome, now or when it comes.
    func deliver(to continuation: UnsafeContinuation<Value, any Error>) {
        let outcome: Result<Value, any Error>? = state.withLock { state in
            guard case .settled(let outcome) = state else {
                state = .waiting(continuation)
                return nil
            }
            state = .delivered
            return outcome
        }
        if let outcome { continuation.resume(with: outcome) }
    }
}

/// One clock for every deadline of the process: while operations are watched, it looks at them
/// every ``resolution`` and cancels those past their deadline.
///
/// Every PostgreSQL query runs under a deadline. A timer per query — a sleeping child task in a
/// task group, i.e. a dispatch timer and two more tasks — cost about a tenth of a node's CPU on
/// `GET /friend/list`; a watch here is one dictionary entry under a lock.
final class DeadlineClock: Sendable {
    static let shared = DeadlineClock(resolution: .milliseconds(100), eventLoop: MultiThreadedEventLoopGroup.singleton.any())

    struct Watch: Sendable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        let deadline: NIODeadline
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var isTicking = false
    }

    let resolution: TimeAmount
    private let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(resolution: TimeAmount, eventLoop: any EventLoop) {
        self.resolution = resolution
        self.eventLoop = eventLoop
    }

    /// Calls `cancel` once `duration` has passed, unless the watch was released before.
    func watch(for duration: Duration, cancel: @escaping @Sendable () -> Void) -> Watch {
        let deadline = NIODeadline.now() + TimeAmount(duration)
        let (id, startTicking) = state.withLock { state in
            state.nextID += 1
            state.entries[state.nextID] = Entry(deadline: deadline, cancel: cancel)
            defer { state.isTicking = true }
            return (state.nextID, !state.isTicking)
        }
        if startTicking { scheduleTick() }
        return Watch(id: id)
    }

    /// Stops watching: `cancel` is not called if it was not already.
    func release(_ watch: Watch) {
        _ = state.withLock { $0.entries.removeValue(forKey: watch.id) }
    }

    private func scheduleTick() {
        eventLoop.scheduleTask(in: resolution) { self.tick() }
    }

    /// Cancels what is overdue and forgets it; keeps ticking while anything is watched.
    private func tick() {
        let now = NIODeadline.now()
        let (overdue, keepTicking) = state.withLock { state in
            var overdue: [@Sendable () -> Void] = []
            for (id, entry) in state.entries where entry.deadline <= now {
                state.entries[id] = nil
                overdue.append(entry.cancel)
            }
            state.isTicking = !state.entries.isEmpty
            return (overdue, state.isTicking)
        }
        for cancel in overdue { cancel() }
        if keepTicking { scheduleTick() }
    }
}
