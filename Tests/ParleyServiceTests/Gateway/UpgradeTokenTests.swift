import Testing
@testable import ParleyService

/// What a WebSocket upgrade reads from the request's URI: the path, and the query parameters
/// `token` (API.md §5) and `ack` (docs/api.md §7).
@Suite("Upgrade query")
struct UpgradeTokenTests {
    @Test(arguments: [
        ("/ws?token=abc", "abc"),
        ("/ws?lang=en&token=a.b.c&x=1", "a.b.c"),
        ("/ws?token=a%2Eb%20c", "a.b c"),
        ("/ws?token=令牌", "令牌"),
        ("/ws?token=a=b", "a=b"),
    ])
    func aTokenIsFound(uri: String, token: String) {
        #expect(UpgradeQuery.value(of: "token", in: uri) == token)
    }

    @Test(arguments: ["/ws", "/ws?", "/ws?token=", "/ws?token", "/ws?tokens=abc", "/ws?x=token=abc", "/token=abc"])
    func noTokenIsFound(uri: String) {
        #expect(UpgradeQuery.value(of: "token", in: uri) == nil)
    }

    @Test(arguments: [("/ws?token=a&ack=1", "1"), ("/ws?ack=0&token=a", "0"), ("/ws?token=a&acks=1", nil), ("/ws?token=ack=1", nil)])
    func theAcknowledgementModeIsRead(uri: String, value: String?) {
        #expect(UpgradeQuery.value(of: "ack", in: uri) == value)
    }

    @Test(arguments: [("/ws", true), ("/ws?token=a", true), ("/ws/", false), ("/wss", false), ("/api/ws", false), ("/", false)])
    func theGatewayPathIsKnown(uri: String, isGateway: Bool) {
        #expect(UpgradeQuery.isGatewayPath(uri) == isGateway)
    }
}
