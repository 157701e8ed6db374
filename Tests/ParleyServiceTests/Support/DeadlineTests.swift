import NIOPosix
import Synchronization
import Testing
@testable import ParleyService

/// The process-wide deadline clock every PostgreSQL query runs under (`Support/Deadline.swift`).
@Suite("Deadline")
struct DeadlineTests {
    let clock = DeadlineClock(resolution: .milliseconds(5), eventLoop: MultiThreadedEventLoopGroup.singleton.any())

    @Test(.timeLimit(.minutes(1))) func anOverdueWatchIsCancelledOnceAndReleaseSaysSo() async throws {
        let cancellations = Mutex(0)
        let (cancelled, cancel) = AsyncStream<Void>.makeStream()
        let watch = clock.watch(for: .milliseconds(10)) {
            cancellations.withLock { $0 += 1 }
            cancel.yield()
        }
        for await _ in cancelled { break }
        try await Task.sleep(for: .milliseconds(50))  // more ticks: none cancels again
        #expect(cancellations.withLock { $0 } == 1)
        #expect(clock.release(watch), "released after its deadline")
        #expect(!clock.release(watch), "forgotten once released")
    }

    @Test func aWatchReleasedInTimeIsNeverCancelled() {
        let watch = clock.watch(for: .seconds(60)) { Issue.record("cancelled before its deadline") }
        #expect(!clock.release(watch))
    }

    @Test(.timeLimit(.minutes(1))) func withDeadlineAnswersTheBodyOrDeadlineExceeded() async throws {
        #expect(try await withDeadline(.seconds(60)) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await withDeadline(.seconds(60)) { throw Refused() } }
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(50)) { try await Task.sleep(for: .seconds(60)) }
        }
    }
}
