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
/// `{p}sessions` was confirmed when the cache was last trusted
/// (``activeConfirmation(userID:sessionID:now:)``): then every revocation announced since its
/// PostgreSQL answer either removed it already or has yet to be handled, and the socket's sync
/// after its claim waits for that, or finds the connection changed and has PostgreSQL asked again
/// (``GatewayStateMachine/SessionCheck``).
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
        /// The subscriber connection on which `{p}sessions` was confirmed when the cache was last
        /// trusted, if known.
        var confirmation: RedisSubscriber.Confirmation?
        /// When expired entries were last dropped to make room (at most once a second: it is a
        /// walk over all of them).
        var prunedAt: ContinuousClock.Instant?

        func entry(userID: Int, sessionID: UUID, now: ContinuousClock.Instant) -> Entry? {
            guard isTrusted, let entry = entries[userID], entry.sessionID == sessionID, entry.expiry > now else { return nil }
            return entry
        }

        /// Rebuilds the entries without the expired ones: a dictionary keeps its storage when
        /// entries are removed, so only a new one gives the memory back.
        mutating func dropExpired(now: ContinuousClock.Instant) {
            prunedAt = now
            guard entries.values.contains(where: { $0.expiry <= now }) else { return }
            entries = entries.filter { $0.value.expiry > now }
        }
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
    func isActive(userID: Int, sessionID: UUID, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { $0.entry(userID: userID, sessionID: sessionID, now: now) != nil }
    }

    /// For a socket: the subscriber connection on which `{p}sessions` was confirmed when the cache
    /// was last trusted, if `sessionID` is held as active from an answer stored on that same
    /// connection; `nil` when PostgreSQL must be asked.
    ///
    /// Read on the socket's event loop, without asking the subscriber's. A confirmation gone stale
    /// meanwhile (the subscriber reconnected, and the gateway has not heard yet) costs no safety:
    /// the socket's sync after its claim finds the subscriber on another connection, and
    /// PostgreSQL is asked again (``GatewayStateMachine/SessionCheck``).
    func activeConfirmation(userID: Int, sessionID: UUID, now: ContinuousClock.Instant = .now) -> RedisSubscriber.Confirmation? {
        state.withLock { state in
            guard let confirmation = state.confirmation, state.entry(userID: userID, sessionID: sessionID, now: now)?.confirmation == confirmation else {
                return nil
            }
            return confirmation
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
                state.dropExpired(now: now)
                guard state.entries.count < capacity else { return }
            }
            state.entries[userID] = Entry(sessionID: sessionID, expiry: now + lifetime, confirmation: ticket.confirmation)
        }
    }

    /// Gives back the memory of expired entries. Every connect stores one, so without this a node
    /// would keep an entry per socket that ever connected, up to ``capacity``, long after each
    /// stopped being used: about 100 bytes per socket held (BENCHMARKS.md, fix 27). The
    /// heartbeat calls it.
    func dropExpired(now: ContinuousClock.Instant = .now) {
        state.withLock { $0.dropExpired(now: now) }
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
            state.confirmation = nil
        }
    }

    /// The subscription to the invalidation channel is confirmed, on the subscriber connection
    /// `confirmation` if known: use the cache.
    func trust(confirmedOn confirmation: RedisSubscriber.Confirmation? = nil) {
        state.withLock { state in
            state.isTrusted = true
            state.confirmation = confirmation
        }
    }

    /// Entries held now (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}
