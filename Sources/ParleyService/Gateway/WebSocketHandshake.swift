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
        let headers = head.headers
        guard headers.anyField(named: "upgrade", lists: "websocket") else {
            self = .notAsked
            return
        }
        // `Connection: upgrade` is also what makes NIO's HTTP decoder stop parsing after this
        // request: the bytes that follow are the socket's, never another HTTP request.
        guard head.method == .GET, UpgradeQuery.isGatewayPath(head.uri), acceptingSockets,
            headers.anyField(named: "connection", lists: "upgrade"),
            headers.onlyValue(named: "sec-websocket-version") == "13",
            let key = headers.onlyValue(named: "sec-websocket-key"), !key.isEmpty
        else {
            self = .declined
            return
        }
        self = .accept(Self.acceptValue(forKey: key))
    }

    private static let guid = Array("258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8)

    /// `Sec-WebSocket-Accept`: the base64 of the SHA-1 of the client's key and RFC 6455's GUID.
    static func acceptValue(forKey key: Substring) -> String {
        var hash = Insecure.SHA1()
        var key = key
        key.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hash.update(data: guid)
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

/// Reading the handshake's fields as `headers[canonicalForm:]` would, without the arrays and
/// lowercased copies it builds: this runs on every connect (BENCHMARKS.md, fix 33).
extension HTTPHeaders {
    /// Whether a field `name` (lowercase) lists `token` (lowercase) among its comma-separated
    /// values, both compared without case (RFC 9110 §5.6.1).
    fileprivate func anyField(named name: String, lists token: String) -> Bool {
        contains { field in
            guard field.name.utf8.equalsIgnoringASCIICase(name.utf8) else { return false }
            var rest = Substring(field.value)
            while true {
                let end = rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
                if rest[..<end].trimmingSpaces.utf8.equalsIgnoringASCIICase(token.utf8) { return true }
                guard end < rest.endIndex else { return false }
                rest = rest[rest.utf8.index(after: end)...]
            }
        }
    }

    /// The value of field `name` (lowercase) when exactly one such field holds exactly one value.
    fileprivate func onlyValue(named name: String) -> Substring? {
        var found: Substring?
        for field in self where field.name.utf8.equalsIgnoringASCIICase(name.utf8) {
            guard found == nil, !field.value.utf8.contains(UInt8(ascii: ",")) else { return nil }
            found = Substring(field.value).trimmingSpaces
        }
        return found
    }
}

extension Substring {
    /// Without the spaces and tabs around it.
    fileprivate var trimmingSpaces: Substring {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension Collection<UInt8> {
    /// Equal to `lowercase`, which holds no uppercase letters, with ASCII letters compared without case.
    fileprivate func equalsIgnoringASCIICase(_ lowercase: some Collection<UInt8>) -> Bool {
        count == lowercase.count
            && zip(self, lowercase).allSatisfy { byte, lower in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == lower : byte == lower
            }
    }
}
