/// What every socket of a node shares — who it reports to, its clocks, the keep-alive wheels — held
/// once and referenced by each ``SocketHandler``: a handler lives as long as its idle socket, and
/// copies of these cost 64 bytes per socket.
final class SocketSettings: Sendable {
    let delegate: any SocketLifecycleDelegate
    let timings: SocketTimings
    let keepAliveWheels: KeepAliveWheels

    init(delegate: any SocketLifecycleDelegate, timings: SocketTimings) {
        self.delegate = delegate
        self.timings = timings
        self.keepAliveWheels = KeepAliveWheels(pingInterval: timings.pingInterval)
    }
}
