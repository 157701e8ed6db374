import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// What a connection's first request asks of the gateway, read from its head alone (RFC 6455 §4.2).
///
/// Pure, so every case is unit-tested; ``GatewayUpgradeHandler`` acts on it.
enum WebSocketHandshake: Equatable {
    /// No WebSocket upgrade asked: an HTTP request for the router.
    case notAsked
    /// A WebSocket upgrade this node does not give: another path than `/ws`, a draining node, or a
    /// handshake missing what RFC 6455 requires. Answered with an HTTP error, then closed.
    case declined
    /// Upgrade, answering `101` with this `Sec-WebSocket-Accept`.
    case accept(String)

    init(head: HTTPRequestHead, acceptingSockets: Bool) {
        guard head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) else {
            self = .notAsked
            return
        }
        // `Connection: upgrade` is also what makes NIO's HTTP decoder stop parsing after this
        // request: the bytes that follow are the socket's, never another HTTP request.
        let key = head.headers[canonicalForm: "sec-websocket-key"]
        guard head.method == .GET, UpgradeQuery.isGatewayPath(head.uri), acceptingSockets,
            head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }),
            head.headers[canonicalForm: "sec-websocket-version"] == ["13"],
            key.count == 1, let key = key.first, !key.isEmpty
        else {
            self = .declined
            return
        }
        self = .accept(Self.acceptValue(forKey: key))
    }

    /// `Sec-WebSocket-Accept`: the base64 of the SHA-1 of the client's key and RFC 6455's GUID.
    static func acceptValue(forKey key: Substring) -> String {
        var hash = Insecure.SHA1()
        hash.update(data: Array(key.utf8))
        hash.update(data: Array("258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8))
        return Data(hash.finalize()).base64EncodedString()
    }

    /// The `101` response, written as bytes: the socket's pipeline has no HTTP encoder by then.
    static func switchingProtocols(accept: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var response = allocator.buffer(capacity: 128)
        response.writeString(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
        )
        return response
    }
}
