import NIOHTTP1
import Testing
@testable import ParleyService

/// What a connection's first request asks of the gateway (RFC 6455 §4.2.1).
@Suite("WebSocketHandshake")
struct WebSocketHandshakeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    func head(
        _ method: HTTPMethod = .GET,
        _ uri: String = "/ws?token=abc",
        dropping dropped: String? = nil,
        setting extra: [(String, String)] = []
    ) -> HTTPRequestHead {
        var headers = HTTPHeaders([
            ("Host", "chat.example"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", Self.key), ("Sec-WebSocket-Version", "13"),
        ])
        if let dropped { headers.remove(name: dropped) }
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }

    @Test func theAcceptValueIsRFC6455sExample() {
        #expect(WebSocketHandshake.acceptValue(forKey: Substring(Self.key)) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func aHandshakeOnTheGatewayPathIsAccepted() {
        #expect(WebSocketHandshake(head: head(), acceptingSockets: true) == .accept("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
    }

    @Test func headerValuesAreTokensMatchedWithoutCase() {
        let mixed = head(setting: [("Upgrade", "WebSocket"), ("Connection", "keep-alive,\tUPGRADE ")])
        #expect(WebSocketHandshake(head: mixed, acceptingSockets: true) == .accept("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
    }

    @Test func aRequestWithoutAWebSocketUpgradeIsForTheRouter() {
        #expect(WebSocketHandshake(head: head(dropping: "Upgrade"), acceptingSockets: true) == .notAsked)
        #expect(WebSocketHandshake(head: head(setting: [("Upgrade", "h2c")]), acceptingSockets: true) == .notAsked)
    }

    @Test(arguments: [
        ("another path", HTTPMethod.GET, "/wsx?token=abc", nil, [(String, String)]()),
        ("not a GET", .POST, "/ws", nil, []),
        ("no Connection: upgrade", .GET, "/ws", "Connection", []),
        ("no key", .GET, "/ws", "Sec-WebSocket-Key", []),
        ("two keys", .GET, "/ws", nil, [("Sec-WebSocket-Key", "\(key), \(key)")]),
        ("an empty key", .GET, "/ws", nil, [("Sec-WebSocket-Key", "")]),
        ("a Connection token that only begins with upgrade", .GET, "/ws", nil, [("Connection", "upgraded, close")]),
        ("another version", .GET, "/ws", nil, [("Sec-WebSocket-Version", "8")]),
        ("two versions", .GET, "/ws", nil, [("Sec-WebSocket-Version", "13, 8")]),
        ("no version", .GET, "/ws", "Sec-WebSocket-Version", []),
    ] as [(String, HTTPMethod, String, String?, [(String, String)])])
    func aHandshakeMissingWhatItNeedsIsDeclined(
        _ why: String, method: HTTPMethod, uri: String, dropped: String?, extra: [(String, String)]
    ) {
        #expect(WebSocketHandshake(head: head(method, uri, dropping: dropped, setting: extra), acceptingSockets: true) == .declined, "\(why)")
    }

    @Test func aDrainingNodeDeclines() {
        #expect(WebSocketHandshake(head: head(), acceptingSockets: false) == .declined)
    }
}
