import NIOCore

/// Liveness probe for a connection.
///
/// A connection can silently stop receiving (e.g. after a failover it still
/// points at the old node, or the link is blackholed). When nothing has arrived
/// for `idleInterval`, the driver sends a probe — a subscriber publishes a token
/// to its own probe channel through a command connection, a command connection
/// sends `PING` — and if that (or, where ``Proof/anyReply``, any reply) doesn't
/// come back within `timeout` the connection is considered dead and the driver
/// restarts it. Pure value type: time is passed in.
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

    /// What shows, while a probe is out, that the connection still works.
    enum Proof: Equatable {
        /// Any reply. A command connection's replies arrive in order over the very link the probe
        /// tests, so a reply to an earlier command proves it as well as the probe's own would; and
        /// a probe queued behind a long pipeline may take longer than `timeout` to be answered
        /// while replies keep arriving.
        case anyReply
        /// Only the probe's own message: a subscriber's probe is published elsewhere, and only its
        /// arrival proves that publishes made elsewhere reach this connection.
        case probeOnly
    }

    let idleInterval: TimeAmount
    let timeout: TimeAmount
    let proof: Proof
    private(set) var state: State = .disconnected
    private var nextToken: UInt64 = 0

    init(idleInterval: TimeAmount, timeout: TimeAmount, proof: Proof) {
        self.idleInterval = idleInterval
        self.timeout = timeout
        self.proof = proof
    }

    mutating func connected(now: NIODeadline) {
        state = .idle(lastActivity: now)
    }

    mutating func disconnected() {
        state = .disconnected
    }

    /// Any traffic on the connection postpones the next probe; during a probe it ends the probe
    /// only where ``proof`` says any reply proves the connection.
    mutating func activity(now: NIODeadline) {
        switch (state, proof) {
        case (.idle, _), (.probing, .anyReply):
            state = .idle(lastActivity: now)
        case (.probing, .probeOnly), (.disconnected, _):
            break
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
