import Foundation
import NIOEmbedded
import Testing
@testable import NIORedis
@testable import ParleyService

/// The gateway's decisions as sequences of events, without sockets, Redis or PostgreSQL.
@Suite("GatewayStateMachine")
struct GatewayStateMachineTests {
    typealias Machine = GatewayStateMachine
    typealias Action = GatewayStateMachine.Action

    /// A token's identity for `user`, expiring at `expiry` (seconds since 1970).
    func identity(_ user: Int, expiry: TimeInterval = 4_000_000_000) -> TokenIdentity {
        TokenIdentity(userID: user, sessionID: UUID(), expiresAt: Date(timeIntervalSince1970: expiry))
    }

    /// The subscriber's connection on which `{p}sessions` was confirmed before a session check.
    static let confirmation = RedisSubscriber.Confirmation(connection: 1)

    /// Opens `connection` and verifies its token for `user`; returns what it asks for besides its
    /// session check.
    @discardableResult
    func authenticated(_ machine: inout Machine, _ connection: UInt64, user: Int, expiry: TimeInterval = 4_000_000_000) -> [Action] {
        #expect(machine.socketOpened(connection) == [.authenticate(connection)])
        let identity = identity(user, expiry: expiry)
        let actions = machine.authenticated(connection, as: identity)
        #expect(actions.last == .checkSession(connection, identity))
        return actions.dropLast()
    }

    /// Opens `connection` for `user` and has PostgreSQL call its session active; returns what that
    /// asks for.
    @discardableResult
    func checked(_ machine: inout Machine, _ connection: UInt64, user: Int) -> [Action] {
        authenticated(&machine, connection, user: user)
        return machine.sessionActive(connection, confirmation: Self.confirmation)
    }

    /// Opens, checks and subscribes `connection` for `user`, up to its claim.
    func claiming(_ machine: inout Machine, _ connection: UInt64, user: Int, expiry: TimeInterval = 4_000_000_000) {
        let subscribe = authenticated(&machine, connection, user: user, expiry: expiry)
        let actions = machine.sessionActive(connection, confirmation: Self.confirmation)
        if subscribe == [.subscribe(userID: user)] {
            #expect(actions == [])
            #expect(machine.subscribed(userID: user) == [.claim(connection, userID: user)])
        } else {
            #expect(actions == [.claim(connection, userID: user)])
        }
    }

    @Test func aSocketBecomesLiveAfterSubscribeAndClaim() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.claimed(1, userID: 7, generation: 100) == [.syncEvents(1)])
        #expect(machine.phase(of: 1) == .live(userID: 7, generation: 100))
        #expect(machine.liveCount == 1)
    }

    @Test func aRefusedTokenClosesWithItsReason() {
        var machine = Machine()
        _ = machine.socketOpened(1)
        #expect(machine.authenticationFailed(1, reason: .tokenExpired) == [.close(1, .tokenExpired)])
        #expect(machine.socketClosed(1) == [])
        #expect(machine.connections.isEmpty)
    }

    /// The older socket's token check came back last: it must not claim after, and kick, the newer.
    @Test func anOlderSocketAuthenticatedAfterANewerOneIsSuperseded() {
        var machine = Machine()
        _ = machine.socketOpened(1)
        claiming(&machine, 2, user: 7)
        #expect(machine.authenticated(1, as: identity(7)) == [.close(1, .kicked)])
        #expect(machine.claimed(2, userID: 7, generation: 100) == [.syncEvents(2)])
        #expect(machine.socketClosed(1) == [])
        #expect(machine.liveConnections(userID: 7) == [2])
    }

    /// The older socket's session waited for PostgreSQL while the newer one's came from the cache:
    /// it must not claim after the newer one, and kick it (seen in `test_abuse.py` under load).
    @Test func anOlderSocketWhoseSessionIsAnsweredAfterANewerOneClaimsIsSuperseded() {
        var machine = Machine()
        #expect(authenticated(&machine, 1, user: 7) == [.subscribe(userID: 7)])
        authenticated(&machine, 2, user: 7)
        #expect(machine.sessionActive(2, confirmation: Self.confirmation) == [])
        #expect(machine.subscribed(userID: 7) == [.claim(2, userID: 7)])
        #expect(machine.sessionActive(1, confirmation: Self.confirmation) == [.close(1, .kicked)])
        #expect(machine.claimed(2, userID: 7, generation: 100) == [.syncEvents(2)])
        #expect(machine.socketClosed(1) == [])
        #expect(machine.liveConnections(userID: 7) == [2])
    }

    @Test func aNewerSocketOnTheSameNodeKicksTheOlder() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        claiming(&machine, 2, user: 7)
        #expect(machine.claimed(2, userID: 7, generation: 101) == [
            .syncEvents(2), .close(1, .kicked), .release(userID: 7, generation: 100),
        ])
        // Its own kick event, echoed back by Redis, closes nothing more.
        #expect(machine.superseded(userID: 7, generation: 101, reason: .kicked) == [])
        #expect(machine.socketClosed(1) == [])
        #expect(machine.phase(of: 2) == .live(userID: 7, generation: 101))
    }

    @Test func aKickFromAnotherNodeClosesOnlyOlderSockets() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.superseded(userID: 7, generation: 100, reason: .kicked) == [])
        #expect(machine.superseded(userID: 7, generation: 99, reason: .kicked) == [])
        #expect(machine.superseded(userID: 7, generation: 150, reason: .loggedOut) == [
            .close(1, .loggedOut), .release(userID: 7, generation: 100),
        ])
        #expect(machine.socketClosed(1) == [])
    }

    // MARK: One session check per connect (issue 14)

    @Test func theSubscriptionAndTheSessionCheckRunTogether() {
        var machine = Machine()
        #expect(authenticated(&machine, 1, user: 7) == [.subscribe(userID: 7)])
        #expect(machine.phase(of: 1) == .checkingSession(userID: 7))
        #expect(machine.subscribed(userID: 7) == [], "still checking")
        #expect(machine.sessionActive(1, confirmation: Self.confirmation) == [.claim(1, userID: 7)])
    }

    @Test func aRefusedOrUncheckableSessionClosesTheSocket() {
        var machine = Machine()
        authenticated(&machine, 1, user: 7)
        #expect(machine.authenticationFailed(1, reason: .userDisabled) == [.close(1, .userDisabled)])
        #expect(machine.socketClosed(1) == [.unsubscribe(userID: 7)])
        authenticated(&machine, 2, user: 8)
        #expect(machine.authenticationUnavailable(2) == [.tryAgainLater(2)])
        #expect(machine.sessionActive(2, confirmation: Self.confirmation) == [], "closing already")
    }

    /// The common case: no revocation came between the check and the claim, so a sync of the
    /// subscriber verifies the session without asking PostgreSQL again.
    @Test func aSessionCheckedBeforeTheClaimIsVerifiedBySyncingTheSubscriber() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.claimed(1, userID: 7, generation: 100, deliveryRequested: true) == [.syncEvents(1)])
        #expect(machine.eventsSynced([1], isContinuous: { $0 == Self.confirmation }) == [.deliver(1, userID: 7)])
        #expect(machine.connections[1]?.session == .verified)
    }

    /// A revocation announced after the check started — while checking, before or after the claim —
    /// makes the check doubtful: PostgreSQL is asked again after the claim.
    @Test func aRevocationAnnouncedAfterTheCheckMakesTheSocketAskAgain() {
        var whileChecking = Machine()
        authenticated(&whileChecking, 1, user: 7)
        whileChecking.sessionsChanged(userID: 7)
        _ = whileChecking.sessionActive(1, confirmation: Self.confirmation)
        _ = whileChecking.subscribed(userID: 7)
        #expect(whileChecking.claimed(1, userID: 7, generation: 100) == [.verifySession(1, userID: 7)])

        var beforeTheClaim = Machine()
        claiming(&beforeTheClaim, 1, user: 7)
        beforeTheClaim.sessionsChanged(userID: 8)
        #expect(beforeTheClaim.connections[1]?.session == .active(since: Self.confirmation), "another account")
        beforeTheClaim.sessionsChanged(userID: 7)
        #expect(beforeTheClaim.claimed(1, userID: 7, generation: 100) == [.verifySession(1, userID: 7)])

        var beforeTheSync = Machine()
        claiming(&beforeTheSync, 1, user: 7)
        _ = beforeTheSync.claimed(1, userID: 7, generation: 100)
        beforeTheSync.sessionsChanged(userID: 7)
        #expect(beforeTheSync.eventsSynced([1], isContinuous: { _ in true }) == [.verifySession(1, userID: 7)])
        #expect(beforeTheSync.sessionVerified(1) == [])
        #expect(beforeTheSync.connections[1]?.session == .verified)
    }

    /// Announcements the node may not have received: the check was made while `{p}sessions` was not
    /// subscribed, the subscription was interrupted before the sync, or the subscriber dropped
    /// messages.
    @Test func aCheckTheNodeCouldNotHaveHeardAboutAsksAgain() {
        var unsubscribed = Machine()
        authenticated(&unsubscribed, 1, user: 7)
        _ = unsubscribed.sessionActive(1, confirmation: nil)
        _ = unsubscribed.subscribed(userID: 7)
        #expect(unsubscribed.claimed(1, userID: 7, generation: 100) == [.verifySession(1, userID: 7)])

        var interrupted = Machine()
        claiming(&interrupted, 1, user: 7)
        _ = interrupted.claimed(1, userID: 7, generation: 100)
        #expect(interrupted.eventsSynced([1], isContinuous: { _ in false }) == [.verifySession(1, userID: 7)])

        var dropped = Machine()
        claiming(&dropped, 1, user: 7)
        _ = dropped.claimed(1, userID: 7, generation: 100)
        _ = dropped.eventsSynced([1], isContinuous: { _ in true })
        claiming(&dropped, 2, user: 8)
        dropped.announcementsMayBeLost()
        #expect(dropped.claimed(2, userID: 8, generation: 200) == [.verifySession(2, userID: 8)])
        #expect(dropped.connections[1]?.session == .verified, "a verified socket is swept, not re-verified")
    }

    /// A socket closed or superseded before its sync is not verified.
    @Test func aSyncForASocketNoLongerLiveDoesNothing() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        _ = machine.superseded(userID: 7, generation: 200, reason: .loggedOut)
        #expect(machine.eventsSynced([1], isContinuous: { _ in true }) == [])
    }

    @Test func aKickThatOvertakesTheClaimReplyStillCloses() {
        // Node B's newer claim (200) is published before this node learns its own generation (150).
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.superseded(userID: 7, generation: 200, reason: .kicked) == [])
        #expect(machine.claimed(1, userID: 7, generation: 150) == [.close(1, .kicked), .release(userID: 7, generation: 150)])
    }

    @Test func anOlderKickArrivingLateDoesNotCloseANewerClaim() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.superseded(userID: 7, generation: 120, reason: .kicked)
        #expect(machine.claimed(1, userID: 7, generation: 150) == [.syncEvents(1)])
    }

    @Test func socketsWaitingForOneSubscriptionAskForItOnce() {
        var machine = Machine()
        #expect(authenticated(&machine, 1, user: 7) == [.subscribe(userID: 7)])
        #expect(authenticated(&machine, 2, user: 7) == [])
        #expect(machine.sessionActive(1, confirmation: Self.confirmation) == [])
        #expect(machine.sessionActive(2, confirmation: Self.confirmation) == [])
        // Only the newer claims; the older would only claim to be kicked by it.
        #expect(machine.subscribed(userID: 7) == [.close(1, .kicked), .claim(2, userID: 7)])
    }

    /// Two claims sent together could reach Redis in either order and hand the older socket the
    /// newer generation: the newer socket waits for the older one's answer.
    @Test func aNewerSocketClaimsOnlyAfterTheOlderClaimIsAnswered() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(checked(&machine, 2, user: 7) == [])
        #expect(machine.phase(of: 2) == .waitingToClaim(userID: 7))
        #expect(machine.claimed(1, userID: 7, generation: 100) == [.syncEvents(1), .claim(2, userID: 7)])
        #expect(machine.claimed(2, userID: 7, generation: 101) == [
            .syncEvents(2), .close(1, .kicked), .release(userID: 7, generation: 100),
        ])
    }

    /// A client that reconnects while its closed socket's claim is still at Redis claims after it.
    @Test func aReconnectWaitsForTheClaimOfTheClosedSocket() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.socketClosed(1) == [])
        #expect(!machine.hasSockets(userID: 7))
        #expect(checked(&machine, 2, user: 7) == [])
        #expect(machine.claimed(1, userID: 7, generation: 100) == [.release(userID: 7, generation: 100), .claim(2, userID: 7)])
        #expect(machine.claimed(2, userID: 7, generation: 101) == [.syncEvents(2)])
    }

    @Test func aFailedClaimRefusesTheSocketsWaitingBehindIt() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        checked(&machine, 2, user: 7)
        #expect(machine.redisFailed(userID: 7) == [.tryAgainLater(1), .tryAgainLater(2)])
        _ = machine.socketClosed(1)
        #expect(machine.socketClosed(2) == [], "the confirmed subscription lingers")
    }

    /// A client coming back within a heartbeat or two claims at once: the account's channel is
    /// still subscribed. Later, the subscription ends, and the next socket subscribes anew.
    @Test func closingTheLastSocketReleasesAndTheSubscriptionLingers() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.socketClosed(1) == [.release(userID: 7, generation: 100)])
        #expect(machine.subscriptionsAged() == [], "one heartbeat at least")
        #expect(authenticated(&machine, 2, user: 7) == [], "still subscribed")
        #expect(machine.sessionActive(2, confirmation: Self.confirmation) == [.claim(2, userID: 7)])
        _ = machine.claimed(2, userID: 7, generation: 101)
        #expect(machine.socketClosed(2) == [.release(userID: 7, generation: 101)])
        #expect(machine.subscriptionsAged() == [])
        #expect(machine.subscriptionsAged() == [.unsubscribe(userID: 7)])
        #expect(machine.subscriptionsAged() == [])
        #expect(authenticated(&machine, 3, user: 7) == [.subscribe(userID: 7)])
    }

    @Test func aDrainingNodeKeepsNoSubscriptionLingering() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        _ = machine.drain()
        #expect(machine.socketClosed(1) == [.unsubscribe(userID: 7)])
        #expect(machine.subscriptionsAged() == [])
    }

    @Test func aSocketClosedWhileClaimingGivesItsPresenceBack() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.socketClosed(1) == [])
        #expect(machine.claimed(1, userID: 7, generation: 100) == [.release(userID: 7, generation: 100)])
    }

    @Test func aRevokedSessionFoundAfterTheClaimCloses() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.sessionRevoked(1, reason: .tokenInvalid) == [.close(1, .tokenInvalid), .release(userID: 7, generation: 100)])
        #expect(machine.sessionRevoked(1, reason: .tokenInvalid) == [])
    }

    @Test func redisFailuresRefuseTheWaitingSockets() {
        var machine = Machine()
        checked(&machine, 1, user: 7)
        #expect(machine.redisFailed(userID: 7) == [.tryAgainLater(1), .unsubscribe(userID: 7)])
    }

    /// Issue 13, hole 5: a subscribe that failed or timed out left the channel in the subscriber's
    /// desired set for good, re-subscribed on every reconnect.
    @Test func aSubscriptionThatFailedIsStillWithdrawnWhenTheAccountGoes() {
        var machine = Machine()
        #expect(authenticated(&machine, 1, user: 7) == [.subscribe(userID: 7)])
        #expect(authenticated(&machine, 2, user: 7) == [], "asked once")
        _ = machine.sessionActive(1, confirmation: Self.confirmation)
        _ = machine.sessionActive(2, confirmation: Self.confirmation)
        #expect(machine.redisFailed(userID: 7) == [.tryAgainLater(1), .tryAgainLater(2), .unsubscribe(userID: 7)])
        #expect(authenticated(&machine, 3, user: 7) == [.subscribe(userID: 7)], "the next socket asks anew")
    }

    @Test func drainingClosesEverySocketAndRefusesNewOnes() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        _ = machine.socketOpened(2)
        #expect(machine.drain() == [.goAway(1), .release(userID: 7, generation: 100), .goAway(2)])
        #expect(machine.socketOpened(3) == [.goAway(3)])
        #expect(machine.isDraining)
    }

    @Test func liveSocketsAreListedForReRegistration() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        claiming(&machine, 2, user: 8)
        #expect(machine.liveSockets.map(\.userID) == [7])
    }

    // MARK: What the machine keeps per socket and per account

    @Test func anAccountsSocketsStayInTheOrderTheyConnected() {
        var sockets: Machine.AccountSockets = [5]
        for connection in [9, 2, 7, 5] as [UInt64] { sockets.insert(connection) }
        #expect(Array(sockets) == [2, 5, 7, 9])
        sockets.remove(2)
        sockets.remove(7)
        #expect(Array(sockets) == [5, 9])
        sockets.remove(5)
        sockets.remove(9)
        #expect(sockets.isEmpty)
        #expect(Array(sockets) == [])
    }

    @Test func liveSocketsCarryWhenTheyTookTheirAccount() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100, since: 1_700_000_000_000)
        #expect(machine.liveSockets == [.init(connection: 1, userID: 7, generation: 100, since: 1_700_000_000_000)])
        #expect(machine.isStillLive(machine.liveSockets[0]))
    }

    @Test func closingASocketForgetsItsIdentity() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.identities(of: [1]).map(\.identity.userID) == [7])
        _ = machine.socketClosed(1)
        #expect(machine.identities(of: [1]).isEmpty)
        #expect(machine.connections.isEmpty)
    }

    @Test func aDeliveryNudgeGoesToTheLiveSocket() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.deliveryRequested(userID: 7) == [.deliver(1, userID: 7)])
        #expect(machine.deliveryRequested(userID: 8) == [])
    }

    /// A `getmessage` while the socket is still connecting: its messages follow once it is live and
    /// its session verified, not before (it may yet be refused).
    @Test func aDeliveryNudgeWhileConnectingWaitsForTheVerifiedSession() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.deliveryRequested(userID: 7) == [])
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.sessionVerified(1) == [.deliver(1, userID: 7)])
        #expect(machine.sessionVerified(1) == [], "delivered once")
    }

    /// An acknowledging socket (docs/api.md §7) is sent what waits once verified, without a
    /// `getmessage`; the old client's is not (it asks).
    @Test func anAcknowledgingSocketIsDeliveredToOnceVerified() {
        var machine = Machine()
        #expect(machine.socketOpened(SocketHandle(id: 1, channel: EmbeddedChannel()), acknowledges: true) == [.authenticate(1)])
        _ = machine.authenticated(1, as: identity(7, expiry: 4_000_000_000))
        _ = machine.sessionActive(1, confirmation: Self.confirmation)
        _ = machine.subscribed(userID: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        #expect(machine.sessionVerified(1) == [.deliver(1, userID: 7)])

        claiming(&machine, 2, user: 8)
        _ = machine.claimed(2, userID: 8, generation: 100)
        #expect(machine.sessionVerified(2) == [])
    }

    /// The claim took over a request Redis kept (the client asked before this node subscribed).
    @Test func aDeliveryRequestTakenByTheClaimIsServedAfterVerification() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100, deliveryRequested: true)
        #expect(machine.sessionVerified(1) == [.deliver(1, userID: 7)])
    }

    /// A socket that closed while claiming leaves the request its claim took to the account's next
    /// socket here.
    @Test func aDeliveryRequestOutlivesASocketClosedWhileClaiming() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        checked(&machine, 2, user: 7)
        _ = machine.socketClosed(1)
        #expect(machine.claimed(1, userID: 7, generation: 100, deliveryRequested: true) == [
            .release(userID: 7, generation: 100), .claim(2, userID: 7),
        ])
        _ = machine.claimed(2, userID: 7, generation: 101)
        #expect(machine.sessionVerified(2) == [.deliver(2, userID: 7)])
    }

    @Test func aRevokedSessionFoundByTheVerificationGetsNoDelivery() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100, deliveryRequested: true)
        _ = machine.sessionRevoked(1, reason: .loggedOut)
        #expect(machine.sessionVerified(1) == [])
    }

    @Test func expiredTokensCloseTheirSocketsAndOnlyThose() {
        var machine = Machine()
        claiming(&machine, 1, user: 7, expiry: 1_000)
        _ = machine.claimed(1, userID: 7, generation: 100)
        claiming(&machine, 2, user: 8, expiry: 2_000)
        _ = machine.claimed(2, userID: 8, generation: 200)
        #expect(machine.tokensExpired(now: Date(timeIntervalSince1970: 999)) == [])
        #expect(machine.tokensExpired(now: Date(timeIntervalSince1970: 1_500)) == [
            .close(1, .tokenExpired), .release(userID: 7, generation: 100),
        ])
        #expect(machine.tokensExpired(now: Date(timeIntervalSince1970: 1_600)) == [])
        #expect(machine.tokensExpired(now: Date(timeIntervalSince1970: 2_000)) == [
            .close(2, .tokenExpired), .release(userID: 8, generation: 200),
        ])
    }

    @Test func failedReleasesAreKeptForTheNextTryWithinTheirCapacity() {
        var machine = Machine()
        let first = PresenceRelease(userID: 7, entry: .generation(100))
        let second = PresenceRelease(userID: 8, entry: .claim(connection: 3))
        machine.releaseFailed(first)
        machine.releaseFailed(first)
        machine.releaseFailed(second)
        #expect(machine.takeFailedReleases() == [first, second])
        #expect(machine.takeFailedReleases().isEmpty)
        for generation in 0...Int64(Machine.failedReleaseCapacity) {
            machine.releaseFailed(PresenceRelease(userID: 1, entry: .generation(generation)))
        }
        #expect(machine.failedReleases.count == Machine.failedReleaseCapacity)
    }

    /// Issue 13, hole 2: a claim that ran in Redis but whose answer never came left an entry naming
    /// a socket that had closed with 1013, on a live node, so no reaper ever cleared it.
    @Test func aClaimWithNoAnswerHasItsPossibleEntryReleased() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        #expect(machine.claimFailed(1, userID: 7, mayHaveRun: true) == [
            .releaseClaim(1, userID: 7), .tryAgainLater(1),
        ])
        var refused = Machine()
        claiming(&refused, 1, user: 7)
        #expect(refused.claimFailed(1, userID: 7, mayHaveRun: false) == [.tryAgainLater(1)], "a refusal changed nothing")
    }

    @Test func missedKicksMakeTheSweepDueAndTheSweepListsLiveSockets() {
        var machine = Machine()
        claiming(&machine, 1, user: 7)
        _ = machine.claimed(1, userID: 7, generation: 100)
        claiming(&machine, 2, user: 8)
        #expect(!machine.isSessionSweepDue)
        machine.mayHaveMissedKicks()
        #expect(machine.isSessionSweepDue)
        #expect(machine.sessionSweep().map(\.connection) == [1], "only live sockets")
        #expect(!machine.isSessionSweepDue)
    }
}

extension GatewayStateMachine {
    /// A socket numbered `connection` opened, on a channel of its own.
    mutating func socketOpened(_ connection: ConnectionID) -> [Action] {
        socketOpened(SocketHandle(id: connection, channel: EmbeddedChannel()))
    }
}
