import Testing
@testable import ParleyService

/// The `token` query parameter of a WebSocket upgrade (API.md §5), read from the request's URI.
@Suite("Upgrade token")
struct UpgradeTokenTests {
    @Test(arguments: [
        ("/ws?token=abc", "abc"),
        ("/ws?lang=en&token=a.b.c&x=1", "a.b.c"),
        ("/ws?token=a%2Eb%20c", "a.b c"),
        ("/ws?token=令牌", "令牌"),
        ("/ws?token=a=b", "a=b"),
    ])
    func aTokenIsFound(uri: String, token: String) {
        #expect(GatewayChildChannel.token(in: uri) == token)
    }

    @Test(arguments: ["/ws", "/ws?", "/ws?token=", "/ws?token", "/ws?tokens=abc", "/ws?x=token=abc", "/token=abc"])
    func noTokenIsFound(uri: String) {
        #expect(GatewayChildChannel.token(in: uri) == nil)
    }
}
