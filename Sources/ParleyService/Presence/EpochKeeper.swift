import Synchronization

/// Installs a new generation epoch in a Redis that has none (it restarted, or a replica took over):
/// bumped in PostgreSQL first, then installed unless Redis holds a higher one. Callers that find
/// the epoch missing at the same moment — every socket of a reconnect storm after a Redis restart —
/// share one installation instead of bumping the epoch once each.
final class EpochKeeper: Sendable {
    private let store: ClusterEpochStore
    private let install: @Sendable (Int64) async throws -> Int64
    private let installation = Mutex<Task<Int64, any Error>?>(nil)

    /// - Parameter install: puts an epoch into Redis and answers the one in force there.
    init(store: ClusterEpochStore, install: @escaping @Sendable (Int64) async throws -> Int64) {
        self.store = store
        self.install = install
    }

    /// Bumps and installs the epoch, or waits for the installation already under way; returns the
    /// epoch in force.
    @discardableResult
    func installNewEpoch() async throws -> Int64 {
        let task = installation.withLock { installation in
            if let installation { return installation }
            let task = Task { [store, install] in try await install(try await store.bump()) }
            installation = task
            return task
        }
        defer { installation.withLock { if $0 == task { $0 = nil } } }
        return try await task.value
    }
}
