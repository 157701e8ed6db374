import NIOCore

/// Liveness probe for a subscriber connection.
///
/// A subscriber can silently stop receiving (e.g. after a failover its
/// connection still points at the old node). When nothing has arrived for
/// `idleInterval`, the driver publishes a token to the subscriber's own probe
/// channel through a normal command connection; if that message doesn't come
/// back within `timeout` the subscription is considered dead and the driver
/// restarts the connection. Pure value type: time is passed in.
struct ProbeStateMachine {
    enum State: Equatable {
        case disconnected
        case idle(lastActivity: NIODeadline)
        case probing(token: UInt64, deadline: NIODeadline)
    }

    enum TickAction: Equatable {
        case none
        /// Publish `token` to the probe channel.
        case sendProbe(token: UInt64)
        /// The probe didn't come back: restart the connection.
        case probeFailed
    }

    let idleInterval: TimeAmount
    let timeout: TimeAmount
    private(set) var state: State = .disconnected
    private var nextToken: UInt64 = 0

    init(idleInterval: TimeAmount, timeout: TimeAmount) {
        self.idleInterval = idleInterval
        self.timeout = timeout
    }

    mutating func connected(now: NIODeadline) {
        state = .idle(lastActivity: now)
    }

    mutating func disconnected() {
        state = .disconnected
    }

    /// Any traffic on the subscriber connection postpones the next probe.
    /// During a probe only the probe's own message counts: it alone proves that
    /// publishes made elsewhere reach this connection.
    mutating func activity(now: NIODeadline) {
        if case .idle = state {
            state = .idle(lastActivity: now)
        }
    }

    mutating func probeReceived(token: UInt64, now: NIODeadline) {
        if case .probing(token, _) = state {
            state = .idle(lastActivity: now)
        }
    }

    mutating func tick(now: NIODeadline) -> TickAction {
        switch state {
        case .disconnected:
            return .none
        case .idle(let lastActivity):
            guard now - lastActivity >= idleInterval else { return .none }
            let token = nextToken
            nextToken += 1
            state = .probing(token: token, deadline: now + timeout)
            return .sendProbe(token: token)
        case .probing(_, let deadline):
            guard now >= deadline else { return .none }
            state = .disconnected
            return .probeFailed
        }
    }
}
