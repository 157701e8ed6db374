import Synchronization

/// The jobs a service starts in response to events — a token check, a claim, a release, a delivery
/// pass — run as child tasks of one task group that the service owns, never as unowned `Task`s: when
/// the service stops, it cancels and awaits them, so none outlives it (a claim landing after the
/// node deregistered would leave a presence entry naming a node that is gone).
///
/// At most ``maximumRunning`` jobs run at once; further jobs wait in the queue, in order. What
/// bounds the queue is its callers: the gateway has at most one job per socket step in flight,
/// and a node holds a bounded number of sockets. The group discards each job once it ends, so a
/// node that went through a million connects keeps nothing of them.
final class WorkQueue: Sendable {
    typealias Job = @Sendable () async -> Void

    let maximumRunning: Int
    private let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let slots: Slots

    init(maximumRunning: Int) {
        precondition(maximumRunning > 0)
        self.maximumRunning = maximumRunning
        self.slots = Slots(count: maximumRunning)
        (jobs, continuation) = AsyncStream.makeStream()
    }

    /// Queues `job`; once the queue has finished, the job is dropped.
    func submit(_ job: @escaping Job) {
        continuation.yield(job)
    }

    /// Takes no more jobs; ``run()`` returns once the queued and running ones are done (or, when its
    /// task is cancelled, at once after the running ones).
    func finish() {
        continuation.finish()
    }

    /// Runs the jobs until ``finish()`` or cancellation.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                await slots.take()
                group.addTask {
                    await job()
                    self.slots.giveBack()
                }
            }
        }
    }

    /// A counting semaphore for the running jobs: only ``run()`` waits on it, one take at a time.
    private final class Slots: Sendable {
        private struct State {
            var free: Int
            var waiter: CheckedContinuation<Void, Never>?

            mutating func takeFree() -> Bool {
                guard free > 0 else { return false }
                free -= 1
                return true
            }
        }

        private let state: Mutex<State>

        init(count: Int) {
            state = Mutex(State(free: count))
        }

        func take() async {
            if state.withLock({ $0.takeFree() }) { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let taken = state.withLock { state in
                    if state.takeFree() { return true }
                    state.waiter = continuation
                    return false
                }
                if taken { continuation.resume() }
            }
        }

        func giveBack() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter else {
                    state.free += 1
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }
}
