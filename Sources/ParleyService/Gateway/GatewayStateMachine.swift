/// The node's decisions about the sockets it holds, as a value with no I/O: which socket owns an
/// account, what a kick, a close or a Redis reset does. ``Gateway`` feeds it events and performs
/// the actions it returns.
///
/// The cluster-wide order is a per-account *generation* handed out atomically by Redis: a newer
/// socket or session event carries a higher generation, and everything older closes. So two logins
/// racing on two nodes leave exactly one socket, and a socket never closes its own successor.
/// On one node, an account has at most one claim at Redis at a time, so the generations of its
/// sockets here follow the order in which they connected.
struct GatewayStateMachine {
    typealias ConnectionID = UInt64
    typealias Generation = Int64

    enum Phase: Equatable {
        /// Checking the token, the session and the user in PostgreSQL.
        case authenticating
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

    private struct Account {
        var connections: Set<ConnectionID> = []
        /// The socket whose claim Redis is answering. Claims of one account go one at a time: two
        /// sent together could reach Redis in either order, and the older socket would win.
        var claimInFlight: ConnectionID?
        /// The newest supersession seen while a claim was in flight.
        var supersession: Supersession?
        var subscription = Subscription.none
    }

    private enum Subscription {
        case none
        /// Asked of Redis, not confirmed yet: the subscriber already holds the channel in its desired
        /// set (and re-subscribes it on every reconnect), so forgetting the account must remove it.
        case requested
        case confirmed
    }

    enum Action: Equatable {
        case authenticate(ConnectionID)
        case subscribe(userID: Int)
        case claim(ConnectionID, userID: Int)
        /// Check once more, after the claim, that the session was not revoked meanwhile.
        case verifySession(ConnectionID, userID: Int)
        case close(ConnectionID, SocketCloseReason)
        /// Close without a `fail` frame: the node is going away (1001).
        case goAway(ConnectionID)
        /// Close with 1013: the node could not reach Redis for this socket.
        case tryAgainLater(ConnectionID)
        /// Remove the account's presence if it still names this generation.
        case release(userID: Int, generation: Generation)
        case unsubscribe(userID: Int)
    }

    private(set) var phases: [ConnectionID: Phase] = [:]
    private var accounts: [Int: Account] = [:]
    private(set) var isDraining = false

    /// Live sockets: the accounts with a socket on this node.
    var liveCount: Int {
        phases.values.reduce(0) { count, phase in
            if case .live = phase { return count + 1 }
            return count
        }
    }

    /// Every live socket, for re-registering presence after Redis lost it.
    var liveSockets: [(connection: ConnectionID, userID: Int, generation: Generation)] {
        phases.compactMap { connection, phase in
            guard case .live(let userID, let generation) = phase else { return nil }
            return (connection, userID, generation)
        }
    }

    /// The live sockets of an account on this node (one, unless a takeover is under way).
    func liveConnections(userID: Int) -> [ConnectionID] {
        (accounts[userID]?.connections ?? []).sorted().filter { connection in
            if case .live = phases[connection] { return true }
            return false
        }
    }

    /// Whether the node holds any socket of the account, in any phase.
    func hasSockets(userID: Int) -> Bool {
        !(accounts[userID]?.connections.isEmpty ?? true)
    }

    /// Whether a socket of the account is still on its way to becoming live here.
    func isConnecting(userID: Int) -> Bool {
        (accounts[userID]?.connections ?? []).contains { connection in
            switch phases[connection] {
            case .authenticating, .subscribing, .waitingToClaim, .claiming: true
            default: false
            }
        }
    }

    // MARK: Events

    mutating func socketOpened(_ connection: ConnectionID) -> [Action] {
        guard !isDraining else {
            phases[connection] = .closing(userID: nil, generation: nil)
            return [.goAway(connection)]
        }
        phases[connection] = .authenticating
        return [.authenticate(connection)]
    }

    mutating func authenticated(_ connection: ConnectionID, userID: Int) -> [Action] {
        guard phases[connection] == .authenticating else { return [] }
        // A newer socket of the account on this node (connection ids grow with each upgrade) had its
        // token checked first — a cached session answers sooner than PostgreSQL. The newest socket
        // wins, so this one is superseded now rather than claiming after it and kicking it.
        let newerSocketHere = accounts[userID]?.connections.contains { other in
            guard other > connection else { return false }
            if case .closing = phases[other] { return false }
            return true
        } ?? false
        if newerSocketHere {
            phases[connection] = .closing(userID: nil, generation: nil)
            return [.close(connection, .kicked)]
        }
        var account = accounts[userID] ?? Account()
        account.connections.insert(connection)
        accounts[userID] = account
        switch account.subscription {
        case .confirmed:
            phases[connection] = .waitingToClaim(userID: userID)
            return claimNext(userID: userID)
        case .requested:
            phases[connection] = .subscribing(userID: userID)
            return []
        case .none:
            phases[connection] = .subscribing(userID: userID)
            accounts[userID]?.subscription = .requested
            return [.subscribe(userID: userID)]
        }
    }

    mutating func authenticationFailed(_ connection: ConnectionID, reason: SocketCloseReason) -> [Action] {
        guard phases[connection] == .authenticating else { return [] }
        phases[connection] = .closing(userID: nil, generation: nil)
        return [.close(connection, reason)]
    }

    /// PostgreSQL could not be asked about the token.
    mutating func authenticationUnavailable(_ connection: ConnectionID) -> [Action] {
        guard phases[connection] == .authenticating else { return [] }
        phases[connection] = .closing(userID: nil, generation: nil)
        return [.tryAgainLater(connection)]
    }

    mutating func subscribed(userID: Int) -> [Action] {
        guard var account = accounts[userID] else { return [.unsubscribe(userID: userID)] }
        account.subscription = .confirmed
        for connection in account.connections where phases[connection] == .subscribing(userID: userID) {
            phases[connection] = .waitingToClaim(userID: userID)
        }
        accounts[userID] = account
        return claimNext(userID: userID)
    }

    /// Redis could not be reached for `userID`'s subscription or claim.
    mutating func redisFailed(userID: Int) -> [Action] {
        guard var account = accounts[userID] else { return [] }
        account.claimInFlight = nil
        account.supersession = nil
        // A subscription that was never confirmed is withdrawn: the sockets waiting for it close,
        // and the next socket of the account asks anew.
        let withdrawn = account.subscription == .requested
        if withdrawn { account.subscription = .none }
        accounts[userID] = account
        var actions: [Action] = account.connections.sorted().compactMap { connection in
            switch phases[connection] {
            case .subscribing, .waitingToClaim, .claiming:
                phases[connection] = .closing(userID: userID, generation: nil)
                return .tryAgainLater(connection)
            default:
                return nil
            }
        }
        if withdrawn { actions.append(.unsubscribe(userID: userID)) }
        return actions + forgetIfUnused(userID: userID)
    }

    mutating func claimed(_ connection: ConnectionID, userID: Int, generation: Generation) -> [Action] {
        guard var account = accounts[userID], account.claimInFlight == connection else {
            return [.release(userID: userID, generation: generation)]
        }
        let supersession = account.supersession
        account.claimInFlight = nil
        account.supersession = nil
        accounts[userID] = account
        var actions: [Action]
        if phases[connection] != .claiming(userID: userID) {
            // Closed while claiming: give the presence back.
            actions = [.release(userID: userID, generation: generation)]
        } else if let supersession, supersession.generation > generation {
            phases[connection] = .closing(userID: userID, generation: generation)
            actions = [.close(connection, supersession.reason), .release(userID: userID, generation: generation)]
        } else {
            phases[connection] = .live(userID: userID, generation: generation)
            // An older socket of the same account on this node: the newest wins here too.
            actions = [.verifySession(connection, userID: userID)] + supersede(userID: userID, below: generation, reason: .kicked)
        }
        return actions + claimNext(userID: userID) + forgetIfUnused(userID: userID)
    }

    /// A kick, logout or disable for `userID`: every socket older than `generation` closes.
    mutating func superseded(userID: Int, generation: Generation, reason: SocketCloseReason) -> [Action] {
        guard var account = accounts[userID] else { return [] }
        if account.claimInFlight != nil {
            if (account.supersession?.generation ?? .min) < generation {
                account.supersession = Supersession(generation: generation, reason: reason)
            }
            accounts[userID] = account
        }
        return supersede(userID: userID, below: generation, reason: reason)
    }

    /// The session check after the claim found the session revoked or the user disabled.
    mutating func sessionRevoked(_ connection: ConnectionID, reason: SocketCloseReason) -> [Action] {
        guard case .live(let userID, let generation) = phases[connection] else { return [] }
        phases[connection] = .closing(userID: userID, generation: generation)
        return [.close(connection, reason), .release(userID: userID, generation: generation)]
    }

    mutating func socketClosed(_ connection: ConnectionID) -> [Action] {
        guard let phase = phases.removeValue(forKey: connection) else { return [] }
        var actions: [Action] = []
        let userID: Int?
        switch phase {
        case .authenticating: userID = nil
        case .subscribing(let user), .waitingToClaim(let user), .claiming(let user): userID = user
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

    /// Graceful shutdown: every socket closes with 1001 and new ones are refused.
    mutating func drain() -> [Action] {
        isDraining = true
        return phases.keys.sorted().flatMap { connection -> [Action] in
            switch phases[connection]! {
            case .closing:
                return []
            case .live(let userID, let generation):
                phases[connection] = .closing(userID: userID, generation: generation)
                return [.goAway(connection), .release(userID: userID, generation: generation)]
            case .subscribing(let userID), .waitingToClaim(let userID), .claiming(let userID):
                phases[connection] = .closing(userID: userID, generation: nil)
            case .authenticating:
                phases[connection] = .closing(userID: nil, generation: nil)
            }
            return [.goAway(connection)]
        }
    }

    /// Sends the account's next claim unless Redis is answering one already. The newest waiting
    /// socket claims; older ones waiting would only claim to be kicked by it, so they close now.
    private mutating func claimNext(userID: Int) -> [Action] {
        guard var account = accounts[userID], account.claimInFlight == nil else { return [] }
        let waiting = account.connections.filter { phases[$0] == .waitingToClaim(userID: userID) }.sorted()
        guard let newest = waiting.last else { return [] }
        var actions: [Action] = waiting.dropLast().map { older in
            phases[older] = .closing(userID: userID, generation: nil)
            return .close(older, .kicked)
        }
        phases[newest] = .claiming(userID: userID)
        account.claimInFlight = newest
        accounts[userID] = account
        actions.append(.claim(newest, userID: userID))
        return actions
    }

    /// Forgets an account with no sockets here and no claim to wait for, and its subscription.
    private mutating func forgetIfUnused(userID: Int) -> [Action] {
        guard let account = accounts[userID], account.connections.isEmpty, account.claimInFlight == nil else { return [] }
        accounts[userID] = nil
        return account.subscription == .none ? [] : [.unsubscribe(userID: userID)]
    }

    private mutating func supersede(userID: Int, below generation: Generation, reason: SocketCloseReason) -> [Action] {
        guard let account = accounts[userID] else { return [] }
        var actions: [Action] = []
        for connection in account.connections.sorted() {
            guard case .live(_, let current) = phases[connection], current < generation else { continue }
            phases[connection] = .closing(userID: userID, generation: current)
            // The newer owner's claim already replaced the presence; the release is a no-op then,
            // and it clears the presence after a logout or disable.
            actions += [.close(connection, reason), .release(userID: userID, generation: current)]
        }
        return actions
    }
}
