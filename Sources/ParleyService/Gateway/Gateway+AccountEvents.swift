import Foundation
import NIORedis

/// What reaches the node on the account channels it subscribed to, and on the sessions channel.
extension Gateway {
    /// Dispatches each event from Redis: a supersession closes older sockets, a push goes to the
    /// account's live socket, a delivery nudge starts a delivery pass, and a sessions announcement
    /// has the account's sockets checked against PostgreSQL. Each is counted as handled once acted
    /// on, for the connects waiting in ``runEventSyncs()``.
    func runAccountEvents() async {
        let decoder = JSONDecoder()
        var dropped = subscriber.droppedMessageCount
        defer { handledEvents.finish() }
        for await message in subscriber.messages {
            defer { handledEvents.handled(message.sequence) }
            if subscriber.droppedMessageCount != dropped {
                // Some revocations may be among the lost messages.
                dropped = subscriber.droppedMessageCount
                authenticator.cache.forgetAll()
                state.withLock { $0.announcementsMayBeLost() }
            }
            if message.channel == presence.keys.sessionsChannel {
                if let userID = Int(String(buffer: message.payload)) {
                    authenticator.cache.forget(userID: userID)
                    state.withLock { $0.sessionsChanged(userID: userID) }
                    checkSessions(of: userID)
                }
                continue
            }
            guard let userID = presence.keys.userID(ofChannel: message.channel) else { continue }
            if let supersession = Supersession(wire: message.payload) {
                apply(supersession)
                continue
            }
            guard let event = try? decoder.decode(UserEvent.self, from: Data(buffer: message.payload)) else { continue }
            if let frame = event.pushedFrame {
                for socket in liveSockets(of: userID) { socket.send(frame) }
            } else if event.type == .deliver {
                update { $0.deliveryRequested(userID: userID) }
            }
        }
    }

    private func liveSockets(of userID: Int) -> [SocketHandle] {
        state.withLock { state in
            state.liveConnections(userID: userID).compactMap { state.socket(of: $0) }
        }
    }

    /// Closes the account's older sockets; counts the kicks and, when the supersession carries its
    /// publish time, how long it took to get here.
    func apply(_ supersession: Supersession) {
        update { (machine: inout GatewayStateMachine) in
            let actions = machine.superseded(userID: supersession.userID, generation: supersession.generation, reason: supersession.reason)
            let closed = actions.filter { if case .close = $0 { true } else { false } }.count
            if closed > 0 {
                for _ in 0..<closed { metrics.kickReceived(supersession.reason) }
                if let sent = supersession.sent {
                    let now = Int64(Date().timeIntervalSince1970 * 1000)
                    metrics.kickDelivered(after: max(0, now - sent))
                }
            }
            return actions
        }
    }

    /// Uses the session cache only while invalidations can reach it, and counts the subscriber's
    /// reconnects and failed probes. Either may have cost a kick: the next heartbeat sweeps.
    func runSubscriberEvents() async {
        await trustSessionCacheOnceSubscribed()
        for await event in subscriber.events {
            switch event {
            case .connected:
                await trustSessionCacheOnceSubscribed()
            case .reconnected:
                metrics.subscriberReconnects.increment()
                state.withLock { $0.mayHaveMissedKicks() }
                await trustSessionCacheOnceSubscribed()
            case .disconnected:
                authenticator.cache.distrust()
            case .probeFailed:
                metrics.probeFailures.increment()
                state.withLock { $0.mayHaveMissedKicks() }
                authenticator.cache.distrust()
            }
        }
    }

    /// Subscribes to the invalidation channel (again, on a new connection) and, once Redis
    /// confirmed it, lets the ``SessionCache`` be used.
    private func trustSessionCacheOnceSubscribed() async {
        do {
            try await subscriber.subscribe([presence.keys.sessionsChannel])
            authenticator.cache.trust(confirmedOn: try await subscriber.confirmation(of: presence.keys.sessionsChannel))
        } catch {
            // Still desired: subscribed on the next connection, which the next event reports.
            logger.notice("Session cache off until the invalidation channel is subscribed", metadata: ["error": "\(error)"])
        }
    }
}
