/// The jobs a service starts in response to events — a token check, a claim, a release, a delivery
/// pass — run as child tasks of one task group that the service owns, never as unowned `Task`s: when
/// the service stops, it cancels and awaits them, so none outlives it (a claim landing after the
/// node deregistered would leave a presence entry naming a node that is gone).
///
/// At most ``maximumRunning`` jobs run at once; further jobs wait in the queue, in order. What
/// bounds the queue is its callers: the gateway has at most one job per socket step in flight,
/// and a node holds a bounded number of sockets.
final class WorkQueue: Sendable {
    typealias Job = @Sendable () async -> Void

    let maximumRunning: Int
    private let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation

    init(maximumRunning: Int) {
        precondition(maximumRunning > 0)
        self.maximumRunning = maximumRunning
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
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await job in jobs {
                // A finished child stays in the group until awaited: reaping one per new job keeps
                // both the running and the finished ones within the bound.
                if running == maximumRunning {
                    await group.next()
                    running -= 1
                }
                group.addTask { await job() }
                running += 1
            }
        }
    }
}
