import NIOCore
import NIOPosix
import Synchronization

/// `body` did not finish within its deadline.
struct DeadlineExceeded: Error {}

/// Runs `body` in a task of its own and cancels that task once `duration` has passed, throwing
/// ``DeadlineExceeded`` when it then fails. Cancelling the caller cancels `body` too.
func withDeadline<Result: Sendable>(
    _ duration: Duration,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let task = Task(operation: body)
    let watch = DeadlineClock.shared.watch(for: duration) { task.cancel() }
    do {
        let result = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        DeadlineClock.shared.release(watch)
        return result
    } catch {
        throw DeadlineClock.shared.release(watch) ? DeadlineExceeded() : error
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
        var expired = false
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

    /// Stops watching; tells whether the deadline had passed and the operation was cancelled.
    @discardableResult
    func release(_ watch: Watch) -> Bool {
        state.withLock { $0.entries.removeValue(forKey: watch.id)?.expired ?? false }
    }

    private func scheduleTick() {
        eventLoop.scheduleTask(in: resolution) { self.tick() }
    }

    /// Cancels what is overdue (once each); keeps ticking while anything is watched.
    private func tick() {
        let now = NIODeadline.now()
        let (overdue, keepTicking) = state.withLock { state in
            var overdue: [@Sendable () -> Void] = []
            for (id, entry) in state.entries where !entry.expired && entry.deadline <= now {
                state.entries[id]?.expired = true
                overdue.append(entry.cancel)
            }
            state.isTicking = !state.entries.isEmpty
            return (overdue, state.isTicking)
        }
        for cancel in overdue { cancel() }
        if keepTicking { scheduleTick() }
    }
}
