import Logging
import PostgresNIO
import Synchronization

/// Whether this node should get traffic: its dependencies answer and it is not draining.
public final class Readiness: Sendable {
    /// A dependency that takes longer than this to answer counts as down.
    static let probeTimeout: Duration = .seconds(2)

    private let database: Database
    private let draining = Atomic<Bool>(false)

    public init(database: Database) {
        self.database = database
    }

    /// From now on `/ready` answers 503, so the balancer stops sending new clients here.
    public func startDraining() {
        draining.store(true, ordering: .relaxed)
    }

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Why the node is not ready, or `nil` when it is.
    public func unreadyReason() async -> String? {
        if isDraining { return "draining" }
        if !(await databaseAnswers()) { return "postgresql" }
        return nil
    }

    private func databaseAnswers() async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { [database] in
                (try? await database.query("SELECT 1").collect()) != nil
            }
            group.addTask {
                try? await Task.sleep(for: Self.probeTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
