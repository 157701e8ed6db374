import Foundation
import NIORedis

/// The node's decisions about the sockets it holds, as a value with no I/O: which socket owns an
/// account, what a kick, a close or a Redis reset does. ``Gateway`` feeds it events and performs
/// the actions it returns. Everything the node knows per socket and per account lives here, so
/// each rule is a sequence of events in a unit test.
///
/// The cluster-wide order is a per-account *generation* handed out atomically by Redis: a newer
/// socket or session event carries a higher generation, and everything older closes. So two logins
/// racing on two nodes leave exactly one socket, and a socket never closes its own successor.
/// On one node, an account has at most one claim at Redis at a time, so the generations of its
/// sockets here follow the order in which they connected.
///
/// A socket's session is checked in PostgreSQL once, before its claim, while the node is subscribed
/// to `{p}sessions`, where every revocation is announced after it commits. A revocation the check
/// did not see is therefore announced after the check began: if it reaches Redis before the claim,
/// a sync of the subscriber after the claim (``SessionCheck``) proves the node has handled it and
/// marked the socket doubtful; if after, its supersession is newer than the claim and closes the
/// socket. Only a doubtful socket asks PostgreSQL again.
struct GatewayStateMachine {
    typealias ConnectionID = UInt64
    typealias Generation = Int64

    enum Phase: Equatable {
        /// Checking the token's signature and claims.
        case authenticating
        /// Checking the session and the user in PostgreSQL, while the account's channel is
        /// subscribed.
        case checkingSession(userID: Int)
        /// Waiting for the subscription to the account's channel, so no kick can slip past.
        case subscribing(userID: Int)
        /// Subscribed; waiting for Redis to answer the claim of an older socket of the account here.
        case waitingToClaim(userID: Int)
        /// Waiting for Redis to hand out this socket's generation.
        case claiming(userID: Int)
        /// The account's socket on this node, from its generation on.
        case live(userID: Int, generation: Generation)
        /// Told to close; waiting for the connection to end.
        case closing(userID: Int?, generation: Generation?)
    }

    /// A socket closed by a newer generation with this reason, while it was still claiming.
    struct Supersession: Equatable {
        var generation: Generation
        var reason: SocketCloseReason
    }

    /// What the node keeps per account for as long as it holds a socket of it: small, since a node
    /// holds tens of thousands; what only a connect needs is in ``ClaimInFlight``.
    private struct Account {
        var connections = AccountSockets()
        var subscription = Subscription.none
        /// The client asked for its messages (`getmessage`) while no socket here was verified yet.
        var isDeliveryRequested = false
    }

    /// The socket of an account whose claim Redis is answering. Claims of one account go one at a
    /// time: two sent together could reach Redis in either order, and the older socket would win.
    private struct ClaimInFlight {
        var connection: ConnectionID
        /// The newest supersession seen while the claim was in flight.
        var supersession: Supersession?
    }

    private enum Subscription {
        case none
        /// Asked of Redis, not confirmed yet: the subscriber already holds the channel in its desired
        /// set (and re-subscribes it on every reconnect), so forgetting the account must remove it.
        case requested
        case confirmed
    }

    /// What the node knows of a socket's session between its check and its verification.
    enum SessionCheck: Equatable {
        /// Not answered yet.
        case pending
        /// PostgreSQL called it active while `{p}sessions` was subscribed since `confirmation`.
        case active(since: RedisSubscriber.Confirmation)
        /// A revocation of the account may have come after the check (announced, or lost while the
        /// subscription was interrupted): PostgreSQL is asked again after the claim.
        case doubtful
        /// Still active after the claim: the socket is the account's.
        case verified
    }

    enum Action: Equatable {
        case authenticate(ConnectionID)
        /// Ask PostgreSQL whether the socket's session is active.
        case checkSession(ConnectionID, TokenIdentity)
        case subscribe(userID: Int)
        case claim(ConnectionID, userID: Int)
        /// Sync the subscriber: once every revocation announced before the claim is handled, the
        /// socket's session is verified unless one made it doubtful.
        case syncEvents(ConnectionID)
        /// Ask PostgreSQL once more, after the claim, whether the session is still active.
        case verifySession(ConnectionID, userID: Int)
        case close(ConnectionID, SocketCloseReason)
        /// Close without a `fail` frame: the node is going away (1001).
        case goAway(ConnectionID)
        /// Close with 1013: the node could not reach Redis for this socket.
        case tryAgainLater(ConnectionID)
        /// Remove the account's presence if it still names this generation.
        case release(userID: Int, generation: Generation)
        /// Remove the account's presence if it names this connection: its claim got no answer, but
        /// may have run.
        case releaseClaim(ConnectionID, userID: Int)
        case unsubscribe(userID: Int)
        /// Send the account's waiting messages to this socket.
        case deliver(ConnectionID, userID: Int)
    }

    /// What the node knows of one socket, from its upgrade to its close: one record, so closing it
    /// forgets everything at once.
    struct Connection {
        /// How to reach it (carried for the gateway, as postgres-nio's machines carry promises).
        let socket: SocketHandle
        var phase: Phase
        /// Who its token says it is, once checked: its session is checked again after the claim,
        /// at every sweep, and its expiry closes it.
        var identity: TokenIdentity?
        /// When it took its account (ms since 1970), for re-registering presence.
        var liveSince: Int64 = 0
        var session = SessionCheck.pending
        /// It asked for acknowledged delivery (docs/api.md §7). Last, where it fits in the padding.
        var acknowledges = false
    }

    /// Releases kept for another try at most; past that the oldest are let go (the account's next
    /// claim replaces its entry anyway).
    static let failedReleaseCapacity = 100_000

    private(set) var connections: [ConnectionID: Connection] = [:]
    private var accounts: [Int: Account] = [:]
    private var claims: [Int: ClaimInFlight] = [:]
    /// Accounts whose last socket here closed while their channel was subscribed, and whether a
    /// heartbeat has seen them since. The subscription outlives the socket by one to two
    /// heartbeats (``subscriptionsAged()``), so a client coming back here meanwhile — a flaky
    /// network, a takeover — claims at once instead of waiting for Redis to confirm a new one.
    private var lingering: [Int: Bool] = [:]
    private(set) var isDraining = false
    /// Presence entries Redis could not release: an entry left behind names a live node, so no
    /// reaper would ever clear it.
    private(set) var failedReleases: Set<PresenceRelease> = []
    /// No token of the sockets here expires before this: expiry looks at them only then, so an idle
    /// node does no work per socket.
    private var earliestExpiry = Date.distantFuture
    /// The node may have missed kicks (its subscriber reconnected, Redis forgot the node): every
    /// live socket's session should be checked against PostgreSQL now rather than in its turn.
    private(set) var isSessionSweepDue = false

    func phase(of connection: ConnectionID) -> Phase? { connections[connection]?.phase }

    func socket(of connection: ConnectionID) -> SocketHandle? { connections[connection]?.socket }

    /// Where a delivery pass writes for the socket: `nil` unless it is signed in.
    func recipient(of connection: ConnectionID) -> MessageCourier.Recipient? {
        guard let record = connections[connection], let identity = record.identity else { return nil }
        return MessageCourier.Recipient(socket: record.socket, sessionID: identity.sessionID, acknowledges: record.acknowledges)
    }

    /// Live sockets: the accounts with a socket on this node.
    var liveCount: Int {
        connections.values.reduce(0) { count, connection in
            if case .live = connection.phase { return count + 1 }
            return count
        }
    }

    /// A socket that holds its account here, as presence records it.
    struct LiveSocket: Equatable {
        var connection: ConnectionID
        var userID: Int
        var generation: Generation
        var since: Int64
    }

    /// Every live socket, for re-registering presence after Redis lost it.
    var liveSockets: [LiveSocket] {
        connections.compactMap { id, connection in
            guard case .live(let userID, let generation) = connection.phase else { return nil }
            return LiveSocket(connection: id, userID: userID, generation: generation, since: connection.liveSince)
        }
    }

    /// Whether `socket` still holds its account here as it did when listed in ``liveSockets``.
    func isStillLive(_ socket: LiveSocket) -> Bool {
        connections[socket.connection]?.phase == .live(userID: socket.userID, generation: socket.generation)
    }

    /// The live sockets of an account on this node (one, unless a takeover is under way).
    func liveConnections(userID: Int) -> [ConnectionID] {
        (accounts[userID]?.connections ?? []).filter { connection in
            if case .live = connections[connection]?.phase { return true }
            return false
        }
    }

    /// The identity the socket authenticated as, once it has.
    func identity(of id: ConnectionID) -> TokenIdentity? {
        connections[id]?.identity
    }

    /// Each of `ids` with the identity it authenticated as.
    func identities(of ids: [ConnectionID]) -> [(connection: ConnectionID, identity: TokenIdentity)] {
        ids.compactMap { id in identity(of: id).map { (id, $0) } }
    }

    /// Whether the node holds any socket of the account, in any phase.
    func hasSockets(userID: Int) -> Bool {
        !(accounts[userID]?.connections.isEmpty ?? true)
    }

    // MARK: Events

    mutating func socketOpened(_ socket: SocketHandle, acknowledges: Bool = false) -> [Action] {
        let connection = socket.id
        guard !isDraining else {
            connections[connection] = Connection(socket: socket, phase: .closing(userID: nil, generation: nil))
            return [.goAway(connection)]
        }
        connections[connection] = Connection(socket: socket, phase: .authenticating, acknowledges: acknowledges)
        return [.authenticate(connection)]
    }

    mutating func authenticated(_ connection: ConnectionID, as identity: TokenIdentity) -> [Action] {
        guard connections[connection]?.phase == .authenticating else { return [] }
        let userID = identity.userID
        // A newer socket of the account here had its token checked first.
        let newerSocketHere = hasNewerSocket(than: connection, userID: userID) { phase in
            if case .closing = phase { return false }
            return true
        }
        if newerSocketHere {
            connections[connection]?.phase = .closing(userID: nil, generation: nil)
            return [.close(connection, .kicked)]
        }
        connections[connection]?.identity = identity
        connections[connection]?.phase = .checkingSession(userID: userID)
        earliestExpiry = min(earliestExpiry, identity.expiresAt)
        var account = accounts[userID] ?? Account(subscription: lingering.removeValue(forKey: userID) == nil ? .none : .confirmed)
        account.connections.insert(connection)
        accounts[userID] = account
        return subscribeIfNeeded(userID: userID) + [.checkSession(connection, identity)]
    }

    /// PostgreSQL, or the session cache, called the socket's session active; `confirmation` is the
    /// subscription to `{p}sessions` the node held since before that answer was read, `nil` when it
    /// held none.
    mutating func sessionActive(_ connection: ConnectionID, confirmation: RedisSubscriber.Confirmation?) -> [Action] {
        guard case .checkingSession(let userID) = connections[connection]?.phase else { return [] }
        // A newer socket of the account here is claiming or live: its session came from the cache
        // while this one's waited for PostgreSQL. ``claimNext(userID:)`` settles only the sockets
        // that wait together.
        let newerClaimHere = hasNewerSocket(than: connection, userID: userID) { phase in
            switch phase {
            case .claiming, .live: return true
            default: return false
            }
        }
        if newerClaimHere {
            connections[connection]?.phase = .closing(userID: userID, generation: nil)
            return [.close(connection, .kicked)]
        }
        if connections[connection]?.session == .pending {
            connections[connection]?.session = confirmation.map { .active(since: $0) } ?? .doubtful
        }
        if accounts[userID]?.subscription == .confirmed {
            connections[connection]?.phase = .waitingToClaim(userID: userID)
            return claimNext(userID: userID)
        }
        connections[connection]?.phase = .subscribing(userID: userID)
        return subscribeIfNeeded(userID: userID)
    }

    /// A revocation of the account was announced: its sockets whose session was checked but not yet
    /// verified cannot rely on that check any more.
    mutating func sessionsChanged(userID: Int) {
        for connection in accounts[userID]?.connections ?? [] {
            doubt(connection)
        }
    }

    /// Announcements may have been lost (the subscriber dropped messages): no socket on its way
    /// can rely on its check.
    mutating func announcementsMayBeLost() {
        for connection in connections.keys {
            doubt(connection)
        }
    }

    /// The subscriber synced after the claims of `synced`: each is verified if its check's
    /// subscription to `{p}sessions` lasted until then (`isContinuous`) and nothing made it
    /// doubtful; the others ask PostgreSQL again.
    mutating func eventsSynced(
        _ synced: [ConnectionID], isContinuous: (RedisSubscriber.Confirmation) -> Bool
    ) -> [Action] {
        synced.flatMap { connection -> [Action] in
            guard case .live(let userID, _) = connections[connection]?.phase else { return [] }
            if case .active(let confirmation) = connections[connection]?.session, isContinuous(confirmation) {
                return sessionVerified(connection)
            }
            connections[connection]?.session = .doubtful
            return [.verifySession(connection, userID: userID)]
        }
    }

    /// The token, or the session or user it names, lets nobody in.
    mutating func authenticationFailed(_ connection: ConnectionID, reason: SocketCloseReason) -> [Action] {
        guard let userID = authenticatingUser(connection) else { return [] }
        connections[connection]?.phase = .closing(userID: userID, generation: nil)
        return [.close(connection, reason)]
    }

    /// PostgreSQL could not be asked about the session.
    mutating func authenticationUnavailable(_ connection: ConnectionID) -> [Action] {
        guard let userID = authenticatingUser(connection) else { return [] }
        connections[connection]?.phase = .closing(userID: userID, generation: nil)
        return [.tryAgainLater(connection)]
    }

    /// For a socket whose token or session is being checked, its account once known: `.some(nil)`
    /// while its token is checked, `nil` in any other phase.
    private func authenticatingUser(_ connection: ConnectionID) -> Int?? {
        switch connections[connection]?.phase {
        case .authenticating: .some(nil)
        case .checkingSession(let userID): userID
        default: nil
        }
    }

    mutating func subscribed(userID: Int) -> [Action] {
        guard var account = accounts[userID] else { return [.unsubscribe(userID: userID)] }
        account.subscription = .confirmed
        for connection in account.connections where connections[connection]?.phase == .subscribing(userID: userID) {
            connections[connection]?.phase = .waitingToClaim(userID: userID)
        }
        accounts[userID] = account
        return claimNext(userID: userID)
    }

    /// Redis could not be reached for `userID`'s subscription or claim.
    mutating func redisFailed(userID: Int) -> [Action] {
        guard var account = accounts[userID] else { return [] }
        claims[userID] = nil
        // A subscription that was never confirmed is withdrawn: the sockets waiting for it close,
        // and the next socket of the account asks anew.
        let withdrawn = account.subscription == .requested
        if withdrawn { account.subscription = .none }
        accounts[userID] = account
        var actions: [Action] = account.connections.compactMap { connection in
            switch connections[connection]?.phase {
            case .subscribing, .waitingToClaim, .claiming:
                connections[connection]?.phase = .closing(userID: userID, generation: nil)
                return .tryAgainLater(connection)
            default:
                return nil
            }
        }
        if withdrawn { actions.append(.unsubscribe(userID: userID)) }
        return actions + forgetIfUnused(userID: userID)
    }

    /// Redis did not hand out `connection`'s generation. When no answer came at all (a timeout, a
    /// lost connection) rather than a refusal, the claim may have run anyway — before its deadline,
    /// which has passed by now (``ClusterScripts/claim``) — and written an entry naming a socket that
    /// never took the account: that entry goes.
    mutating func claimFailed(_ connection: ConnectionID, userID: Int, mayHaveRun: Bool) -> [Action] {
        (mayHaveRun ? [.releaseClaim(connection, userID: userID)] : []) + redisFailed(userID: userID)
    }

    /// Redis handed `connection` the account's generation.
    /// - Parameters:
    ///   - deliveryRequested: the client asked for its messages while the socket was connecting;
    ///     they go to the account's socket here once its session is verified.
    ///   - since: when, in ms since 1970, for presence.
    mutating func claimed(
        _ connection: ConnectionID, userID: Int, generation: Generation, deliveryRequested: Bool = false, since: Int64 = 0
    ) -> [Action] {
        guard var account = accounts[userID], let claim = claims[userID], claim.connection == connection else {
            return [.release(userID: userID, generation: generation)]
        }
        let supersession = claim.supersession
        claims[userID] = nil
        // A socket closed while claiming leaves the request with the account, for its next socket.
        if deliveryRequested { account.isDeliveryRequested = true }
        accounts[userID] = account
        var actions: [Action]
        if connections[connection]?.phase != .claiming(userID: userID) {
            // Closed while claiming: give the presence back.
            actions = [.release(userID: userID, generation: generation)]
        } else if let supersession, supersession.generation > generation {
            connections[connection]?.phase = .closing(userID: userID, generation: generation)
            actions = [.close(connection, supersession.reason), .release(userID: userID, generation: generation)]
        } else {
            connections[connection]?.phase = .live(userID: userID, generation: generation)
            connections[connection]?.liveSince = since
            let confirm: Action =
                connections[connection]?.session == .doubtful ? .verifySession(connection, userID: userID) : .syncEvents(connection)
            // An older socket of the same account on this node: the newest wins here too.
            actions = [confirm] + supersede(userID: userID, below: generation, reason: .kicked)
        }
        return actions + claimNext(userID: userID) + forgetIfUnused(userID: userID)
    }

    /// The session is known to be still active after the claim: the socket is the account's now,
    /// and gets the messages its client asked for meanwhile — or, for an acknowledging socket, what
    /// waits in any case (docs/api.md §7: it needs no `getmessage`).
    mutating func sessionVerified(_ connection: ConnectionID) -> [Action] {
        guard let record = connections[connection], case .live(let userID, _) = record.phase else { return [] }
        connections[connection]?.session = .verified
        guard accounts[userID]?.isDeliveryRequested == true || record.acknowledges else { return [] }
        accounts[userID]?.isDeliveryRequested = false
        return [.deliver(connection, userID: userID)]
    }

    /// Messages wait in PostgreSQL for `userID`: they go to its live socket here, or to the socket
    /// still connecting once it is live and verified.
    mutating func deliveryRequested(userID: Int) -> [Action] {
        let live = liveConnections(userID: userID)
        if live.isEmpty {
            if isConnecting(userID: userID) { accounts[userID]?.isDeliveryRequested = true }
            return []
        }
        return live.map { .deliver($0, userID: userID) }
    }

    /// A kick, logout or disable for `userID`: every socket older than `generation` closes.
    mutating func superseded(userID: Int, generation: Generation, reason: SocketCloseReason) -> [Action] {
        guard accounts[userID] != nil else { return [] }
        if let claim = claims[userID], (claim.supersession?.generation ?? .min) < generation {
            claims[userID]?.supersession = Supersession(generation: generation, reason: reason)
        }
        return supersede(userID: userID, below: generation, reason: reason)
    }

    /// PostgreSQL says the socket's session ended (revoked, expired, or its user disabled).
    mutating func sessionRevoked(_ connection: ConnectionID, reason: SocketCloseReason) -> [Action] {
        guard case .live(let userID, let generation) = connections[connection]?.phase else { return [] }
        connections[connection]?.phase = .closing(userID: userID, generation: generation)
        return [.close(connection, reason), .release(userID: userID, generation: generation)]
    }

    /// Closes the live sockets whose token expired by `now`.
    mutating func tokensExpired(now: Date) -> [Action] {
        guard earliestExpiry <= now else { return [] }
        earliestExpiry = .distantFuture
        var expired: [ConnectionID] = []
        for (id, connection) in connections {
            guard let expiry = connection.identity?.expiresAt else { continue }
            if expiry <= now { expired.append(id) } else { earliestExpiry = min(earliestExpiry, expiry) }
        }
        return expired.sorted().flatMap { sessionRevoked($0, reason: .tokenExpired) }
    }

    mutating func socketClosed(_ connection: ConnectionID) -> [Action] {
        guard let phase = connections.removeValue(forKey: connection)?.phase else { return [] }
        var actions: [Action] = []
        let userID: Int?
        switch phase {
        case .authenticating: userID = nil
        case .checkingSession(let user), .subscribing(let user), .waitingToClaim(let user), .claiming(let user): userID = user
        case .live(let user, let generation):
            userID = user
            actions.append(.release(userID: user, generation: generation))
        case .closing(let user, _): userID = user
        }
        if let userID {
            accounts[userID]?.connections.remove(connection)
            actions += forgetIfUnused(userID: userID)
        }
        return actions
    }

    // MARK: Recovery

    /// Redis could not remove a presence entry: it is tried again after ``takeFailedReleases()``.
    mutating func releaseFailed(_ release: PresenceRelease) {
        if failedReleases.count >= Self.failedReleaseCapacity, let any = failedReleases.first {
            failedReleases.remove(any)
        }
        failedReleases.insert(release)
    }

    /// The releases that failed, to be tried again now.
    mutating func takeFailedReleases() -> Set<PresenceRelease> {
        defer { failedReleases = [] }
        return failedReleases
    }

    /// Kicks may have been lost: the next sweep comes at once.
    mutating func mayHaveMissedKicks() {
        isSessionSweepDue = true
    }

    /// Every live socket with its identity, to check against PostgreSQL; clears the sweep's flag.
    mutating func sessionSweep() -> [(connection: ConnectionID, identity: TokenIdentity)] {
        isSessionSweepDue = false
        return identities(of: liveSockets.map(\.connection))
    }

    /// Graceful shutdown: every socket closes with 1001 and new ones are refused.
    mutating func drain() -> [Action] {
        isDraining = true
        return connections.keys.sorted().flatMap { id -> [Action] in
            switch connections[id]!.phase {
            case .closing:
                return []
            case .live(let userID, let generation):
                connections[id]?.phase = .closing(userID: userID, generation: generation)
                return [.goAway(id), .release(userID: userID, generation: generation)]
            case .checkingSession(let userID), .subscribing(let userID), .waitingToClaim(let userID), .claiming(let userID):
                connections[id]?.phase = .closing(userID: userID, generation: nil)
            case .authenticating:
                connections[id]?.phase = .closing(userID: nil, generation: nil)
            }
            return [.goAway(id)]
        }
    }

    // MARK: Rules

    /// Whether a socket of the account is still on its way to becoming live here.
    private func isConnecting(userID: Int) -> Bool {
        (accounts[userID]?.connections ?? []).contains { connection in
            switch connections[connection]?.phase {
            case .authenticating, .checkingSession, .subscribing, .waitingToClaim, .claiming: true
            default: false
            }
        }
    }

    /// Asks for the account's subscription unless it is asked or confirmed already.
    private mutating func subscribeIfNeeded(userID: Int) -> [Action] {
        guard accounts[userID]?.subscription == Subscription.none else { return [] }
        accounts[userID]?.subscription = .requested
        return [.subscribe(userID: userID)]
    }

    /// A socket whose check is pending or answered but not yet verified can no longer rely on it.
    private mutating func doubt(_ connection: ConnectionID) {
        switch connections[connection]?.session {
        case .pending, .active: connections[connection]?.session = .doubtful
        case .doubtful, .verified, nil: break
        }
    }

    /// Whether a newer socket of the account on this node (connection ids grow with each upgrade)
    /// is in a phase `counts` accepts. The newest socket wins, so an older one found behind it is
    /// superseded at once rather than claiming after it and kicking it.
    private func hasNewerSocket(than connection: ConnectionID, userID: Int, where counts: (Phase?) -> Bool) -> Bool {
        accounts[userID]?.connections.contains { other in other > connection && counts(connections[other]?.phase) } ?? false
    }

    /// Sends the account's next claim unless Redis is answering one already. The newest waiting
    /// socket claims; older ones waiting would only claim to be kicked by it, so they close now.
    private mutating func claimNext(userID: Int) -> [Action] {
        guard let account = accounts[userID], claims[userID] == nil else { return [] }
        let waiting = account.connections.filter { connections[$0]?.phase == .waitingToClaim(userID: userID) }
        guard let newest = waiting.last else { return [] }
        var actions: [Action] = waiting.dropLast().map { older in
            connections[older]?.phase = .closing(userID: userID, generation: nil)
            return .close(older, .kicked)
        }
        connections[newest]?.phase = .claiming(userID: userID)
        claims[userID] = ClaimInFlight(connection: newest)
        actions.append(.claim(newest, userID: userID))
        return actions
    }

    /// Forgets an account with no sockets here and no claim to wait for. Its confirmed
    /// subscription lingers unless the node drains; one still asked for is withdrawn.
    private mutating func forgetIfUnused(userID: Int) -> [Action] {
        guard let account = accounts[userID], account.connections.isEmpty, claims[userID] == nil else { return [] }
        accounts[userID] = nil
        switch account.subscription {
        case .none:
            return []
        case .confirmed where !isDraining:
            lingering[userID] = false
            return []
        case .confirmed, .requested:
            return [.unsubscribe(userID: userID)]
        }
    }

    /// A heartbeat: the subscriptions that lingered since the previous one end.
    mutating func subscriptionsAged() -> [Action] {
        let ended = lingering.filter(\.value).keys.sorted()
        lingering = lingering.filter { !$0.value }.mapValues { _ in true }
        return ended.map { .unsubscribe(userID: $0) }
    }

    private mutating func supersede(userID: Int, below generation: Generation, reason: SocketCloseReason) -> [Action] {
        guard let account = accounts[userID] else { return [] }
        var actions: [Action] = []
        for connection in account.connections {
            guard case .live(_, let current) = connections[connection]?.phase, current < generation else { continue }
            connections[connection]?.phase = .closing(userID: userID, generation: current)
            // The newer owner's claim already replaced the presence; the release is a no-op then,
            // and it clears the presence after a logout or disable.
            actions += [.close(connection, reason), .release(userID: userID, generation: current)]
        }
        return actions
    }
}
