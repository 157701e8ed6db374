import Foundation
import NIORedis
import Synchronization

/// The sessions this node found active in PostgreSQL a moment ago, so that the requests of one
/// signed-in client cost one session query per ``lifetime`` instead of one each.
///
/// Correctness rests on invalidation, not on the short lifetime:
/// - Every revocation (a login elsewhere, a logout, a disable) runs the supersede script, which
///   publishes the account id on `{p}sessions`; every node forgets the account on that message,
///   and the revoking node forgets it before it answers (``forget(userID:)``).
/// - The cache is used only while the node's subscription to that channel is confirmed: it is
///   emptied and bypassed while the subscriber is disconnected (``distrust()``), and emptied when
///   the subscriber dropped messages.
/// - An answer PostgreSQL gave while an invalidation arrived is not stored (``Ticket``): it may
///   predate the revocation.
///
/// What remains: a revocation whose message Redis never delivered although this node's subscriber
/// stayed connected (Redis unreachable for the revoking node only) reaches this node when the entry
/// expires, after at most ``lifetime``. Only active sessions are cached; a refusal always comes
/// from PostgreSQL.
///
/// Sockets use an entry only if it was stored while the subscriber was on the connection on which
/// `{p}sessions` is confirmed now (``isActive(userID:sessionID:confirmedOn:now:)``): then every
/// revocation announced since its PostgreSQL answer either removed it already or has yet to be
/// handled, and the socket's sync after its claim waits for that (``GatewayStateMachine/SessionCheck``).
final class SessionCache: Sendable {
    /// Taken before asking PostgreSQL; a store with a ticket older than the last invalidation is
    /// ignored.
    struct Ticket: Sendable {
        fileprivate let epoch: UInt64
        fileprivate let confirmation: RedisSubscriber.Confirmation?
    }

    private struct Entry {
        let sessionID: UUID
        let expiry: ContinuousClock.Instant
        /// The subscriber's connection on which `{p}sessions` was confirmed before PostgreSQL was
        /// asked, when known.
        let confirmation: RedisSubscriber.Confirmation?
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        /// Counts invalidations, so a read that overlapped one is not stored.
        var epoch: UInt64 = 0
        var isTrusted = false
        /// When expired entries were last dropped to make room (at most once a second: it is a
        /// walk over all of them).
        var prunedAt: ContinuousClock.Instant?
    }

    /// How long an entry is used without asking PostgreSQL again.
    let lifetime: Duration
    /// Entries at most; beyond, nothing new is stored until entries expire.
    let capacity: Int
    private let state = Mutex(State())

    init(lifetime: Duration = .seconds(5), capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Whether `sessionID` is the account's session PostgreSQL called active within ``lifetime``.
    /// - Parameter confirmation: for a socket, the subscriber's connection on which `{p}sessions` is
    ///   confirmed now: only an answer stored while it was the same connection counts.
    func isActive(
        userID: Int, sessionID: UUID, confirmedOn confirmation: RedisSubscriber.Confirmation? = nil, now: ContinuousClock.Instant = .now
    ) -> Bool {
        state.withLock { state in
            guard state.isTrusted, let entry = state.entries[userID], entry.sessionID == sessionID, entry.expiry > now else {
                return false
            }
            return confirmation == nil || entry.confirmation == confirmation
        }
    }

    /// A ticket for storing what PostgreSQL is about to answer; `nil` while the cache is not used.
    /// - Parameter confirmation: the subscriber's connection on which `{p}sessions` was confirmed
    ///   before asking, if known: only then can sockets use the answer.
    func ticket(confirmation: RedisSubscriber.Confirmation? = nil) -> Ticket? {
        state.withLock { $0.isTrusted ? Ticket(epoch: $0.epoch, confirmation: confirmation) : nil }
    }

    /// Remembers that PostgreSQL called `sessionID` active, unless an invalidation came after `ticket`.
    func store(userID: Int, sessionID: UUID, ticket: Ticket, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard state.isTrusted, state.epoch == ticket.epoch else { return }
            if state.entries.count >= capacity, state.entries[userID] == nil {
                guard state.prunedAt.map({ now - $0 >= .seconds(1) }) ?? true else { return }
                state.prunedAt = now
                state.entries = state.entries.filter { $0.value.expiry > now }
                guard state.entries.count < capacity else { return }
            }
            state.entries[userID] = Entry(sessionID: sessionID, expiry: now + lifetime, confirmation: ticket.confirmation)
        }
    }

    /// The account's sessions changed (revoked, superseded, disabled): ask PostgreSQL next time.
    func forget(userID: Int) {
        state.withLock { state in
            state.entries[userID] = nil
            state.epoch &+= 1
        }
    }

    /// Forgets every account: invalidations may have been lost.
    func forgetAll() {
        state.withLock { state in
            state.entries = [:]
            state.epoch &+= 1
        }
    }

    /// Invalidations can no longer arrive (the subscriber is disconnected): empty and stop using
    /// the cache until ``trust()``.
    func distrust() {
        state.withLock { state in
            state.entries = [:]
            state.epoch &+= 1
            state.isTrusted = false
        }
    }

    /// The subscription to the invalidation channel is confirmed: use the cache.
    func trust() {
        state.withLock { $0.isTrusted = true }
    }

    /// Entries held now (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}
