import NIOConcurrencyHelpers
import NIOCore

/// Pings every socket of one event loop once per ``SocketTimings/pingInterval`` and lets each close
/// itself after its silence limit, from one timer per event loop instead of one per socket.
///
/// A repeated task per socket cost a task object, its closure and a new scheduled task and promise
/// every interval, for each of ~20,000 idle sockets. Here the interval is cut into one-second
/// slots; a socket joins the slot the wheel is at and is visited once per turn.
///
/// Everything is touched on ``eventLoop`` only: sockets join and leave from their handlers, which
/// run there.
final class KeepAliveWheel {
    /// Where a socket sits in the wheel, so that it leaves in constant time.
    struct Position {
        fileprivate var slot: Int
        fileprivate var index: Int
    }

    static let tick = TimeAmount.seconds(1)

    let eventLoop: any EventLoop
    private var slots: [[SocketHandler]]
    private var ticks = 0
    private var sockets = 0
    private var timer: RepeatedTask?

    init(eventLoop: any EventLoop, pingInterval: TimeAmount) {
        self.eventLoop = eventLoop
        slots = Array(repeating: [], count: max(1, Int(pingInterval.nanoseconds / Self.tick.nanoseconds)))
    }

    /// Adds a socket: it is first visited one full turn from now.
    func join(_ socket: SocketHandler) -> Position {
        eventLoop.preconditionInEventLoop()
        let slot = ticks % slots.count
        slots[slot].append(socket)
        sockets += 1
        if timer == nil {
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            timer = eventLoop.scheduleRepeatedTask(initialDelay: Self.tick, delay: Self.tick) { _ in
                loopBound.value.advance()
            }
        }
        return Position(slot: slot, index: slots[slot].count - 1)
    }

    /// Removes the socket at `position`; the socket moved into its place learns its new position.
    func leave(at position: Position) {
        eventLoop.preconditionInEventLoop()
        let last = slots[position.slot].removeLast()
        if position.index < slots[position.slot].count {
            slots[position.slot][position.index] = last
            last.keepAlivePosition = position
        }
        sockets -= 1
        if sockets == 0 {
            timer?.cancel()
            timer = nil
        }
    }

    private func advance() {
        ticks += 1
        // A copy: a socket may close, and leave, while it is visited.
        for socket in slots[ticks % slots.count] {
            socket.keepAliveTick()
        }
    }
}

/// One ``KeepAliveWheel`` per event loop, made when the loop's first socket opens.
final class KeepAliveWheels: Sendable {
    private let wheels = NIOLockedValueBox([ObjectIdentifier: NIOLoopBound<KeepAliveWheel>]())
    private let pingInterval: TimeAmount

    init(pingInterval: TimeAmount) {
        self.pingInterval = pingInterval
    }

    /// The wheel of `eventLoop`; call it on that loop.
    func wheel(for eventLoop: any EventLoop) -> KeepAliveWheel {
        wheels.withLockedValue { wheels in
            if let wheel = wheels[ObjectIdentifier(eventLoop)] { return wheel.value }
            let wheel = KeepAliveWheel(eventLoop: eventLoop, pingInterval: pingInterval)
            // The wheel holds its loop, so the key stays that loop's for as long as it is here.
            wheels[ObjectIdentifier(eventLoop)] = NIOLoopBound(wheel, eventLoop: eventLoop)
            return wheel
        }
    }
}
