import Foundation
import Testing
@testable import NIORedis
@testable import ParleyService

/// The rules that keep a cached session from outliving its revocation, without a database.
@Suite("SessionCache")
struct SessionCacheTests {
    let user = 7
    let session = UUID()
    let start = ContinuousClock.now

    private func trustedCache(lifetime: Duration = .seconds(5), capacity: Int = 100) -> SessionCache {
        let cache = SessionCache(lifetime: lifetime, capacity: capacity)
        cache.trust()
        return cache
    }

    @Test func remembersAnActiveSessionForItsLifetime() throws {
        let cache = trustedCache()
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        #expect(cache.isActive(userID: user, sessionID: session, now: start + .seconds(4)))
        #expect(!cache.isActive(userID: user, sessionID: session, now: start + .seconds(5)))
        #expect(!cache.isActive(userID: user, sessionID: UUID(), now: start), "another session of the account")
        #expect(!cache.isActive(userID: user + 1, sessionID: session, now: start), "another account")
    }

    /// A socket may rely on an answer only if the subscriber has stayed on the connection on which
    /// `{p}sessions` was confirmed before PostgreSQL was asked: no revocation since can have been lost.
    @Test func aSocketUsesOnlyAnAnswerStoredOnTheSubscriberConnectionItSees() throws {
        let (first, second) = (RedisSubscriber.Confirmation(connection: 1), RedisSubscriber.Confirmation(connection: 2))
        let cache = SessionCache()
        cache.trust(confirmedOn: first)
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket(confirmation: first)), now: start)
        #expect(cache.activeConfirmation(userID: user, sessionID: session, now: start) == first)
        #expect(cache.activeConfirmation(userID: user, sessionID: UUID(), now: start) == nil, "another session of the account")
        #expect(cache.activeConfirmation(userID: user, sessionID: session, now: start + .seconds(5)) == nil, "expired")
        cache.trust(confirmedOn: second)
        #expect(cache.activeConfirmation(userID: user, sessionID: session, now: start) == nil, "the subscriber reconnected")
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        #expect(cache.activeConfirmation(userID: user, sessionID: session, now: start) == nil, "an HTTP answer")
        #expect(cache.isActive(userID: user, sessionID: session, now: start))
        cache.distrust()
        cache.trust()
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket(confirmation: second)), now: start)
        #expect(cache.activeConfirmation(userID: user, sessionID: session, now: start) == nil, "trusted with no confirmation known")
    }

    @Test func forgetsARevokedAccount() throws {
        let cache = trustedCache()
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        cache.forget(userID: user)
        #expect(!cache.isActive(userID: user, sessionID: session, now: start))
    }

    /// PostgreSQL answered before the revocation, the invalidation came before the answer was
    /// stored: the answer is stale and must not be kept.
    @Test func dropsAnAnswerThatOverlappedAnInvalidation() throws {
        let cache = trustedCache()
        let ticket = try #require(cache.ticket())
        cache.forget(userID: user + 1)  // any account: the epoch is shared
        cache.store(userID: user, sessionID: session, ticket: ticket, now: start)
        #expect(!cache.isActive(userID: user, sessionID: session, now: start))
        #expect(cache.count == 0)
    }

    @Test func unusedUntilTrustedAndEmptiedWhenDistrusted() throws {
        let cache = SessionCache()
        #expect(cache.ticket() == nil)
        cache.trust()
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        let ticket = try #require(cache.ticket())
        cache.distrust()
        #expect(cache.ticket() == nil)
        #expect(!cache.isActive(userID: user, sessionID: session, now: start))
        cache.trust()
        #expect(!cache.isActive(userID: user, sessionID: session, now: start), "entries from before stay gone")
        cache.store(userID: user, sessionID: session, ticket: ticket, now: start)
        #expect(cache.count == 0, "a ticket from before the distrust is void")
    }

    @Test func forgetAllEmptiesTheCache() throws {
        let cache = trustedCache()
        cache.store(userID: user, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        cache.forgetAll()
        #expect(cache.count == 0)
    }

    @Test func givesBackExpiredEntries() throws {
        let cache = trustedCache()
        cache.store(userID: 1, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        cache.store(userID: 2, sessionID: session, ticket: try #require(cache.ticket()), now: start + .seconds(3))
        cache.dropExpired(now: start + .seconds(4))
        #expect(cache.count == 2)
        cache.dropExpired(now: start + .seconds(6))
        #expect(cache.count == 1)
        #expect(cache.isActive(userID: 2, sessionID: session, now: start + .seconds(6)))
        cache.dropExpired(now: start + .seconds(9))
        #expect(cache.count == 0)
    }

    @Test func staysWithinItsCapacity() throws {
        let cache = trustedCache(lifetime: .seconds(5), capacity: 3)
        for id in 1...3 {
            cache.store(userID: id, sessionID: session, ticket: try #require(cache.ticket()), now: start)
        }
        cache.store(userID: 4, sessionID: session, ticket: try #require(cache.ticket()), now: start + .seconds(1))
        #expect(cache.count == 3)
        #expect(!cache.isActive(userID: 4, sessionID: session, now: start + .seconds(1)))
        // Once the old entries expired, they make room.
        cache.store(userID: 4, sessionID: session, ticket: try #require(cache.ticket()), now: start + .seconds(6))
        #expect(cache.count == 1)
        #expect(cache.isActive(userID: 4, sessionID: session, now: start + .seconds(6)))
    }
}
