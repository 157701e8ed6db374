import DequeModule

/// The channels a subscriber wants (desired, the source of truth kept in memory)
/// versus the ones the server has confirmed on the current connection.
///
/// Each `subscribe`/`unsubscribe` call that has to talk to the server is given a
/// barrier token: the driver sends the command followed by `PING <token>`, and
/// since Redis answers in order, the matching pong proves that every preceding
/// (un)subscription was applied. While disconnected, barriers wait for the next
/// connection, which re-subscribes the whole desired set. Pure value type; no I/O.
struct SubscriptionStateMachine {
    private(set) var desired: Set<String>
    private(set) var confirmed: Set<String> = []
    private(set) var isConnected = false
    /// Counts connections: the first is 1, 0 before any. Tells whether two moments saw the same one.
    private(set) var connection: UInt64 = 0
    /// Barriers whose pong is awaited, oldest first (sent, or to be sent on connect).
    private var pendingBarriers: Deque<UInt64> = []
    private var nextBarrier: UInt64 = 0

    init(initialChannels: Set<String> = []) {
        self.desired = initialChannels
    }

    enum Command: Equatable {
        case subscribe([String])
        case unsubscribe([String])
    }

    enum RequestAction: Equatable {
        /// Nothing to wait for: the server already has this state.
        case completeNow
        /// Send `command` (if any), then `PING <barrier>`; complete on its pong.
        case send(Command?, barrier: UInt64)
        /// Disconnected: complete on the pong of `barrier`, sent after the next connect.
        case awaitConnection(barrier: UInt64)
    }

    mutating func subscribe(_ channels: [String]) -> RequestAction {
        let added = channels.filter { desired.insert($0).inserted }
        guard isConnected else { return .awaitConnection(barrier: makeBarrier()) }
        guard !(added.isEmpty && channels.allSatisfy(confirmed.contains)) else { return .completeNow }
        return .send(added.isEmpty ? nil : .subscribe(added), barrier: makeBarrier())
    }

    mutating func unsubscribe(_ channels: [String]) -> RequestAction {
        let removed = channels.filter { desired.remove($0) != nil }
        guard isConnected else { return .awaitConnection(barrier: makeBarrier()) }
        guard !(removed.isEmpty && !channels.contains(where: confirmed.contains)) else { return .completeNow }
        return .send(removed.isEmpty ? nil : .unsubscribe(removed), barrier: makeBarrier())
    }

    /// A barrier alone: complete once every message Redis sent before it has arrived.
    mutating func sync() -> RequestAction {
        isConnected ? .send(nil, barrier: makeBarrier()) : .awaitConnection(barrier: makeBarrier())
    }

    /// The current connection, if `channel` is confirmed on it.
    func confirmedConnection(of channel: String) -> UInt64? {
        isConnected && confirmed.contains(channel) ? connection : nil
    }

    /// A fresh connection: subscribe everything desired, then `PING <barrier>`
    /// (if any) to release every waiting request.
    mutating func connected() -> (channels: [String], barrier: UInt64?) {
        isConnected = true
        connection += 1
        confirmed = []
        return (desired.sorted(), pendingBarriers.last)
    }

    /// The connection is gone; pending requests wait for the next one (or their timeout).
    mutating func disconnected() {
        isConnected = false
        confirmed = []
    }

    mutating func subscriptionConfirmed(_ channel: String) {
        // The desired set's copy of the name, so both sets share one string buffer: with a channel
        // per account, a second copy of each name is tens of bytes per subscriber.
        confirmed.insert(desired.firstIndex(of: channel).map { desired[$0] } ?? channel)
    }

    mutating func unsubscriptionConfirmed(_ channel: String) {
        confirmed.remove(channel)
    }

    /// Returns the barriers completed by this pong (it and any older ones).
    mutating func pongReceived(barrier: UInt64) -> [UInt64] {
        var completed: [UInt64] = []
        while let first = pendingBarriers.first, first <= barrier {
            completed.append(pendingBarriers.removeFirst())
        }
        return completed
    }

    /// A request gave up waiting (timeout); forget its barrier.
    mutating func barrierAbandoned(_ barrier: UInt64) {
        pendingBarriers.removeAll { $0 == barrier }
    }

    /// Messages for channels no longer desired (unsubscribe in flight) are dropped.
    func shouldDeliver(_ channel: String) -> Bool {
        desired.contains(channel)
    }

    private mutating func makeBarrier() -> UInt64 {
        defer { nextBarrier += 1 }
        pendingBarriers.append(nextBarrier)
        return nextBarrier
    }
}
