import NIOCore

/// Exponential reconnect back-off: `initial * 2^attempt`, capped at `maximum`.
public struct RedisBackoff: Sendable, Hashable {
    public var initial: TimeAmount
    public var maximum: TimeAmount

    public init(initial: TimeAmount = .milliseconds(50), maximum: TimeAmount = .seconds(2)) {
        self.initial = initial
        self.maximum = maximum
    }

    func delay(attempt: Int) -> TimeAmount {
        let factor = Int64(1) << Int64(min(attempt, 30))
        let (scaled, overflow) = initial.nanoseconds.multipliedReportingOverflow(by: factor)
        return overflow ? maximum : min(.nanoseconds(scaled), maximum)
    }
}

/// Lifecycle of one logical, self-healing connection.
///
/// `idle → connecting → connected → backingOff → connecting → …`, and any
/// state → `shutDown` (final). Pure value type; the driver performs the actions.
struct ConnectionStateMachine {
    enum State: Equatable {
        case idle
        /// `attempt` = consecutive failures so far; it drives the back-off.
        case connecting(attempt: Int)
        case connected
        case backingOff(attempt: Int)
        case shutDown
    }

    enum Action: Equatable {
        case none
        case connect
        case scheduleReconnect(after: TimeAmount)
        /// The connection (including AUTH/SELECT) is ready.
        case connected(isReconnect: Bool)
        /// A connection finished connecting after shutdown: close it.
        case closeConnection
        /// Shutdown while waiting to reconnect.
        case cancelReconnect
        /// Shutdown while connected: drain and close the connection.
        case closeGracefully
    }

    private(set) var state: State = .idle
    private var hasConnectedBefore = false
    let backoff: RedisBackoff

    init(backoff: RedisBackoff) {
        self.backoff = backoff
    }

    mutating func start() -> Action {
        guard state == .idle else { return .none }
        state = .connecting(attempt: 0)
        return .connect
    }

    mutating func connectSucceeded() -> Action {
        switch state {
        case .connecting:
            state = .connected
            defer { hasConnectedBefore = true }
            return .connected(isReconnect: hasConnectedBefore)
        case .shutDown:
            return .closeConnection
        case .idle, .connected, .backingOff:
            preconditionFailure("connect succeeded in state \(state)")
        }
    }

    mutating func connectFailed() -> Action {
        switch state {
        case .connecting(let attempt):
            state = .backingOff(attempt: attempt + 1)
            return .scheduleReconnect(after: backoff.delay(attempt: attempt + 1))
        case .shutDown:
            return .none
        case .idle, .connected, .backingOff:
            preconditionFailure("connect failed in state \(state)")
        }
    }

    mutating func connectionLost() -> Action {
        switch state {
        case .connected:
            state = .backingOff(attempt: 0)
            return .scheduleReconnect(after: backoff.delay(attempt: 0))
        case .shutDown:
            return .none
        case .idle, .connecting, .backingOff:
            preconditionFailure("connection lost in state \(state)")
        }
    }

    mutating func reconnectTimerFired() -> Action {
        guard case .backingOff(let attempt) = state else { return .none }
        state = .connecting(attempt: attempt)
        return .connect
    }

    mutating func shutdown() -> Action {
        let previous = state
        state = .shutDown
        switch previous {
        case .connected: return .closeGracefully
        case .backingOff: return .cancelReconnect
        case .idle, .connecting, .shutDown: return .none
        }
    }
}
