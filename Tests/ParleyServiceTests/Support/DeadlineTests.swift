import NIOPosix
import Synchronization
import Testing
@testable import ParleyService

/// The process-wide deadline clock every PostgreSQL query runs under (`Support/Deadline.swift`).
@Suite("Deadline")
struct DeadlineTests {
    let clock = DeadlineClock(resolution: .milliseconds(5), eventLoop: MultiThreadedEventLoopGroup.singleton.any())

    @Test(.timeLimit(.minutes(1))) func anOverdueWatchIsCancelledOnce() async throws {
        let cancellations = Mutex(0)
        let (cancelled, cancel) = AsyncStream<Void>.makeStream()
        let watch = clock.watch(for: .milliseconds(10)) {
            cancellations.withLock { $0 += 1 }
            cancel.yield()
        }
        for await _ in cancelled { break }
        try await Task.sleep(for: .milliseconds(50))  // more ticks: none cancels again
        clock.release(watch)
        #expect(cancellations.withLock { $0 } == 1)
    }

    @Test func aWatchReleasedInTimeIsNeverCancelled() {
        let watch = clock.watch(for: .seconds(60)) { Issue.record("cancelled before its deadline") }
        clock.release(watch)
    }

    @Test(.timeLimit(.minutes(1))) func withDeadlineAnswersTheBodyOrDeadlineExceeded() async throws {
        #expect(try await withDeadline(.seconds(60)) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await withDeadline(.seconds(60)) { throw Refused() } }
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(50)) { try await Task.sleep(for: .seconds(60)) }
        }
    }

    /// A body that never ends, cancelled or not — a postgres-nio query written to a connection
    /// that closed under it — does not hold its caller past the deadline.
    @Test(.timeLimit(.minutes(1))) func withDeadlineStopsWaitingForABodyThatIgnoresCancellation() async throws {
        // An unsafe continuation ignores cancellation: the body waits until the test lets it go.
        let gate = FirstOutcome<Void>()
        let ended = Mutex(false)
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(50)) {
                try await withUnsafeThrowingContinuation { gate.deliver(to: $0) }
                ended.withLock { $0 = true }
            }
        }
        #expect(!ended.withLock { $0 }, "answered before the body ended")
        gate.settle(.success(()))
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheCallerCancelsTheBody() async throws {
        let (started, start) = AsyncStream<Void>.makeStream()
        let caller = Task {
            try await withDeadline(.seconds(60)) {
                start.yield()
                try await Task.sleep(for: .seconds(60))
            }
        }
        for await _ in started { break }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
    }
}

