import Synchronization
import Testing
@testable import ParleyService

@Suite("WorkQueue")
struct WorkQueueTests {
    /// Counts the jobs running now and the most that ever ran together.
    private final class Gauge: Sendable {
        private let counts = Mutex((running: 0, peak: 0, done: 0))

        func enter() {
            counts.withLock {
                $0.running += 1
                $0.peak = max($0.peak, $0.running)
            }
        }

        func leave() {
            counts.withLock {
                $0.running -= 1
                $0.done += 1
            }
        }

        /// A job that runs for `duration` (or until cancelled).
        func job(running duration: Duration) -> WorkQueue.Job {
            {
                self.enter()
                try? await Task.sleep(for: duration)
                self.leave()
            }
        }

        var peak: Int { counts.withLock { $0.peak } }
        var done: Int { counts.withLock { $0.done } }
    }

    @Test func runsEveryJobWithNoMoreThanItsBoundAtOnce() async {
        let queue = WorkQueue(maximumRunning: 3)
        let gauge = Gauge()
        for _ in 0..<50 { queue.submit(gauge.job(running: .milliseconds(2))) }
        queue.finish()
        await queue.run()
        #expect(gauge.done == 50, "run returns once the queued jobs are done")
        #expect(gauge.peak == 3)
    }

    @Test func cancellingTheRunCancelsTheRunningJobsAndAwaitsThem() async {
        let queue = WorkQueue(maximumRunning: 10)
        let gauge = Gauge()
        for _ in 0..<5 { queue.submit(gauge.job(running: .seconds(60))) }
        let run = Task { await queue.run() }
        while gauge.peak < 5 { await Task.yield() }
        run.cancel()
        await run.value
        #expect(gauge.done == 5, "every job ended before run returned")
    }

    @Test func jobsSubmittedAfterTheQueueFinishedAreDropped() async {
        let queue = WorkQueue(maximumRunning: 1)
        let gauge = Gauge()
        queue.finish()
        queue.submit { gauge.enter() }
        await queue.run()
        #expect(gauge.peak == 0)
    }
}
