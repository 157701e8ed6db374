import NIOCore

/// Liveness probe for a connection.
///
/// A connection can silently stop receiving (e.g. after a failover it still
/// points at the old node, or the link is blackholed). When nothing has arrived
/// for `idleInterval`, the driver sends a probe — a subscriber publishes a token
/// to its own probe channel through a command connection, a command connection
/// sends `PING` — and if that (or, where ``Proof/anyReply``, any reply) doesn't
/// come back within `timeout`, the driver asks the kernel when the connection last
/// received data (``TickAction/confirmSilence(lastActivity:)``). Only a connection
/// the kernel heard nothing from since the event loop's last read is restarted:
/// data newer than that means the loop is behind — too busy running tasks to read
/// (NIO runs every queued task before it reads again, and thousands of commands
/// queued at once in a debug build take seconds) — not that Redis went silent.
/// Pure value type: time is passed in.
struct ProbeStateMachine {
    enum State: Equatable {
        case disconnected
        case idle(lastActivity: NIODeadline)
        case probing(token: UInt64, deadline: NIODeadline, lastActivity: NIODeadline)
        /// The probe is overdue; the driver is asking the kernel about the connection.
        case confirmingSilence(lastActivity: NIODeadline)
    }

    enum TickAction: Equatable {
        case none
        /// Send the probe `token`.
        case sendProbe(token: UInt64)
        /// The probe didn't come back: find out when the kernel last received data on the
        /// connection and pass it to ``silenceChecked(kernelLastReceived:now:)``.
        case confirmSilence(lastActivity: NIODeadline)
    }

    enum Verdict: Equatable {
        /// Nothing to do: the connection read something, or closed, while the kernel was asked.
        case answered
        /// The kernel holds data the event loop has not read: wait for the loop, probe again later.
        case eventLoopBehind
        /// Nothing arrived: restart the connection.
        case silent
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

    /// The kernel reports the time since the last data in milliseconds counted in clock ticks:
    /// the data the event loop read last may look this much newer than it was.
    static let kernelClockSlack = TimeAmount.milliseconds(20)

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
        case (.idle, _), (.probing, .anyReply), (.confirmingSilence, _):
            state = .idle(lastActivity: now)
        case (.probing(let token, let deadline, _), .probeOnly):
            state = .probing(token: token, deadline: deadline, lastActivity: now)
        case (.disconnected, _):
            break
        }
    }

    mutating func probeReceived(token: UInt64, now: NIODeadline) {
        if case .probing(token, _, _) = state {
            state = .idle(lastActivity: now)
        }
    }

    mutating func tick(now: NIODeadline) -> TickAction {
        switch state {
        case .disconnected, .confirmingSilence:
            return .none
        case .idle(let lastActivity):
            guard now - lastActivity >= idleInterval else { return .none }
            let token = nextToken
            nextToken += 1
            state = .probing(token: token, deadline: now + timeout, lastActivity: lastActivity)
            return .sendProbe(token: token)
        case .probing(_, let deadline, let lastActivity):
            guard now >= deadline else { return .none }
            state = .confirmingSilence(lastActivity: lastActivity)
            return .confirmSilence(lastActivity: lastActivity)
        }
    }

    /// The kernel's answer to ``TickAction/confirmSilence(lastActivity:)``: when it last received
    /// data on the connection, `nil` when it cannot tell.
    mutating func silenceChecked(kernelLastReceived: NIODeadline?, now: NIODeadline) -> Verdict {
        guard case .confirmingSilence(let lastActivity) = state else { return .answered }
        if let kernelLastReceived, kernelLastReceived > lastActivity + Self.kernelClockSlack {
            state = .idle(lastActivity: now)
            return .eventLoopBehind
        }
        state = .disconnected
        return .silent
    }
}
