/// `body` did not finish within its deadline.
struct DeadlineExceeded: Error {}

/// Runs `body`, throwing ``DeadlineExceeded`` if it has not finished after `duration`; `body` is
/// then cancelled.
func withDeadline<Result: Sendable>(
    _ duration: Duration,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask(operation: body)
        group.addTask {
            try await Task.sleep(for: duration)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
