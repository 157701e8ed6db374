import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import ParleyService

/// Several sockets of one event loop in one slot of its keep-alive wheel: a socket that leaves from
/// the middle has the last one moved into its place, which must learn its new position.
@Suite("KeepAliveWheel")
struct KeepAliveWheelTests {
    final class Silent: SocketLifecycleDelegate {
        var isAcceptingSockets: Bool { true }
        func socketOpened(_ socket: SocketHandle, token: String?, address: IPAddress?, acknowledges: Bool) {}
        func socketAcknowledged(_ socket: SocketHandle, through seq: Int) {}
        func socketClosed(_ socket: SocketHandle) {}
    }

    let loop = EmbeddedEventLoop()
    let settings = SocketSettings(delegate: Silent(), timings: SocketTimings())

    /// A socket on `loop`, joined to its wheel at the wheel's current slot. (Closed with `close()`:
    /// an embedded channel's `finish()` runs every task of the loop the others share.)
    func socket(_ id: UInt64) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try SocketHandler.install(
            on: channel, handle: SocketHandle(id: id, channel: channel), token: nil, address: nil, acknowledges: false, settings: settings
        )
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func pings(_ channel: EmbeddedChannel) throws -> Int {
        var count = 0
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
            if frame.opcode == .ping { count += 1 }
        }
        return count
    }

    @Test func aSocketMovedIntoALeaversPlaceLeavesFromItsNewPlace() throws {
        let (first, second, third) = (try socket(1), try socket(2), try socket(3))
        // The first leaves: the third moves into its place. Then the third leaves from there.
        try first.close().wait()
        try third.close().wait()
        loop.advanceTime(by: SocketTimings().pingInterval)
        #expect(try pings(second) == 1, "the socket still open is visited once per turn")
        try second.close().wait()
        loop.advanceTime(by: SocketTimings().pingInterval)
        #expect(try pings(second) == 0)
    }
}
