import NIOCore

/// The gateway's clocks (API.md §5): server pings, the silence rule, the close handshake.
struct SocketTimings: Sendable {
    var pingInterval: TimeAmount = .seconds(30)
    /// A socket that sent nothing (not even a pong) for this long is closed.
    var silenceLimit: TimeAmount = .seconds(90)
    /// How long the server waits for the client's close frame before it drops the connection.
    var closeHandshakeTimeout: TimeAmount = .seconds(5)

    init() {}
}
