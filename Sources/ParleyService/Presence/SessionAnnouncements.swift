import Synchronization

/// Accounts whose sessions were revoked while Redis could not carry the news: the login or logout
/// went on (PostgreSQL is the truth), but no node heard of it. The heartbeat announces them on
/// `{p}sessions` once Redis answers again.
///
/// Unlike the supersede itself, an announcement is safe to make late: it only has every node check
/// that account's sockets against PostgreSQL, so it can close a socket whose session ended and never
/// a newer device's.
final class SessionAnnouncements: Sendable {
    /// Accounts kept for announcing at most; past that the periodic session sweep catches the rest.
    static let capacity = 100_000
    private let pending = Mutex<Set<Int>>([])

    func remember(_ userID: Int) {
        pending.withLock { pending in
            if pending.count < Self.capacity { pending.insert(userID) }
        }
    }

    func takeAll() -> Set<Int> {
        pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }
}
