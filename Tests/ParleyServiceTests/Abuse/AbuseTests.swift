import NIOCore
import NIOEmbedded
import Testing
@testable import ParleyService

@Suite("AddressRateLimiter")
struct AddressRateLimiterTests {
    private func address(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test func countsPerAddressAndWindow() {
        var sketch = AddressRateLimiter.Sketch(limit: 2, window: .seconds(60), start: .now)
        let start = sketch.start
        let a = address("203.0.113.1")
        let answers = [
            sketch.allow(a, now: start), sketch.allow(a, now: start), sketch.allow(a, now: start + .seconds(59)),
            sketch.allow(address("203.0.113.2"), now: start + .seconds(59)), sketch.allow(a, now: start + .seconds(60)),
        ]
        #expect(answers == [true, true, false, true, true])
    }

    /// The old table stopped remembering new addresses once 100,000 were in a window, and let them all
    /// through: spraying addresses turned the limit off. The sketch may count a little high then,
    /// never low.
    @Test func neverFailsOpenWhenAddressesAreSprayed() {
        var sketch = AddressRateLimiter.Sketch(limit: 10, window: .seconds(60), start: .now)
        let now = sketch.start
        let memory = sketch.counters.count
        for index in 0..<150_000 {
            _ = sketch.allow(IPAddress(high: 0, low: 0xFFFF_0A00_0000 | UInt64(index)), now: now)
        }
        let target = address("198.51.100.7")
        var allowed = 0
        for _ in 0..<11 where sketch.allow(target, now: now) { allowed += 1 }
        #expect(allowed <= 10, "an address past its limit is refused whatever else was counted")
        #expect(allowed >= 1)
        #expect(sketch.counters.count == memory, "memory is fixed")
    }

    @Test func anIPv6ClientIsItsSlash64() {
        let limiter = AddressRateLimiter(limit: 2, per: .seconds(60))
        #expect(limiter.allow(address("2001:db8:1:2::1")))
        #expect(limiter.allow(address("2001:db8:1:2:ffff::9")))
        #expect(!limiter.allow(address("2001:db8:1:2:abcd::1")), "another address of the same /64")
        #expect(limiter.allow(address("2001:db8:1:3::1")))
    }

    @Test func zeroTurnsItOff() {
        let limiter = AddressRateLimiter(limit: 0, per: .seconds(60))
        for _ in 0..<100 { #expect(limiter.allow(address("203.0.113.1"))) }
    }
}

@Suite("IP addresses and trusted proxies")
struct TrustedProxiesTests {
    @Test(arguments: ["203.0.113.7", "2001:db8::1", "::ffff:198.51.100.2", "::1"])
    func aSocketPeerIsReadFromItsBytesAsFromItsText(text: String) throws {
        let peer = try SocketAddress(ipAddress: text, port: 443)
        #expect(IPAddress(peer) == IPAddress(text))
    }

    @Test func aUnixDomainSocketHasNoAddress() throws {
        #expect(IPAddress(try SocketAddress(unixDomainSocketPath: "/tmp/parley.sock")) == nil)
    }

    @Test func parsesAddressesAndRanges() throws {
        #expect(IPAddress("203.0.113.7")?.text == "203.0.113.7")
        #expect(IPAddress("2001:DB8::1")?.text == "2001:db8::1")
        #expect(IPAddress("fe80::1%eth0")?.text == "fe80::1")
        for invalid in ["", "not-an-ip", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4, 5.6.7.8", "::g"] {
            #expect(IPAddress(invalid) == nil, "\(invalid)")
        }
        let range = try #require(IPAddressRange("10.0.0.0/8"))
        #expect(range.contains(IPAddress("10.255.1.2")!))
        #expect(!range.contains(IPAddress("11.0.0.1")!))
        #expect(!range.contains(IPAddress("::a00:1")!), "an IPv6 address is not in an IPv4 block")
        #expect(IPAddressRange("2001:db8::/32")!.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(IPAddressRange("192.0.2.1")!.contains(IPAddress("192.0.2.1")!))
        #expect(!IPAddressRange("192.0.2.1")!.contains(IPAddress("192.0.2.2")!))
        #expect(IPAddressRange("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        for invalid in ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "::/129", "nope/8"] {
            #expect(IPAddressRange(invalid) == nil, "\(invalid)")
        }
    }

    @Test func theHeaderCountsOnlyFromATrustedPeerAndOnlyWhenItIsAnAddress() throws {
        let proxies = try TrustedProxies.parse(" 10.0.0.0/8 , 2001:db8::/32").get()
        #expect(proxies.clientAddress(peer: IPAddress("10.1.2.3"), realIP: "198.51.100.9")?.text == "198.51.100.9")
        #expect(proxies.clientAddress(peer: IPAddress("2001:db8::5"), realIP: "198.51.100.9")?.text == "198.51.100.9")
        #expect(proxies.clientAddress(peer: IPAddress("203.0.113.1"), realIP: "198.51.100.9")?.text == "203.0.113.1", "untrusted peer")
        #expect(proxies.clientAddress(peer: IPAddress("10.1.2.3"), realIP: "not-an-ip")?.text == "10.1.2.3")
        #expect(proxies.clientAddress(peer: IPAddress("10.1.2.3"), realIP: nil)?.text == "10.1.2.3")
        #expect(TrustedProxies.none.clientAddress(peer: IPAddress("127.0.0.1"), realIP: "198.51.100.9")?.text == "127.0.0.1")
        guard case .failure(let invalid) = TrustedProxies.parse("10.0.0.0/8,bogus") else {
            Issue.record("a list with an invalid entry parsed")
            return
        }
        #expect(invalid.text == "bogus")
    }
}

@Suite("ConnectionGuard")
struct ConnectionGuardTests {
    private func close(_ channel: EmbeddedChannel) async throws {
        try await channel.close()
        channel.embeddedEventLoop.run()
        try await channel.closeFuture.get()
    }

    @Test func capsOpenConnectionsPerClientAddress() async throws {
        let guardian = ConnectionGuard(
            trustedProxies: try TrustedProxies.parse("10.0.0.0/8").get(),
            requestHeadTimeout: .seconds(5), idleTimeout: .seconds(5), limit: 2
        )
        let client = IPAddress("203.0.113.5")
        let channels = (0..<3).map { _ in EmbeddedChannel() }
        #expect(guardian.admit(channels[0], peer: client))
        #expect(guardian.admit(channels[1], peer: client))
        #expect(!guardian.admit(channels[2], peer: client))
        #expect(guardian.admit(EmbeddedChannel(), peer: IPAddress("203.0.113.6")), "another address")
        #expect(guardian.admit(EmbeddedChannel(), peer: IPAddress("10.0.0.1")), "a trusted proxy is not counted")
        #expect(guardian.admit(EmbeddedChannel(), peer: IPAddress("127.0.0.1")), "nor is the node's own host")
        #expect(guardian.admit(EmbeddedChannel(), peer: IPAddress("::1")), "nor is the node's own host")
        let otherLoopback = (0..<3).map { _ in guardian.admit(EmbeddedChannel(), peer: IPAddress("127.0.0.2")) }
        #expect(otherLoopback == [true, true, false], "other loopback addresses count")

        try await close(channels[0])
        #expect(guardian.admit(channels[2], peer: client), "a closed connection makes room")
        try await close(channels[1])
        try await close(channels[2])
        #expect(guardian.addressCount == 2, "an address with no open connection is forgotten")
    }
}
